from ...findings import Severity
from ._resolved import ResolveIssueRule


class InheritanceCycle(ResolveIssueRule):
    """Policies extend each other in a loop.

    What it does:
        Follows `extends` from each policy and reports a chain that comes back to an area it has
        already passed through, naming the whole loop.

    Why is this bad?
        A loop has no national baseline at its root, so no rule can be resolved: the areas in it have
        no procedure the engine can evaluate.

    Example:
        ```yaml
        # policies/berkshire/policy.yaml
        extends: hampshire
        # policies/hampshire/policy.yaml
        extends: berkshire
        ```

    Use instead:
        ```yaml
        extends: england
        ```
    """

    code = "CPC502"
    name = "inheritance-cycle"
    severity = Severity.ERROR
