"""The Jinja2 templates that lay out the documents cpc publishes, and an area's own that replace or extend them.

The shipped templates are in ``engine/review/templates/``. With a folder of its own (``cpc render --template DIR``),
an area replaces any of them by giving a file of the same name, or extends one: a template in the folder that
starts ``{% extends "cpc/procedure.html.j2" %}`` takes the shipped page and overrides only the blocks it
names (its branding, say). docs/publishing.md lists the blocks and the variables a template is given.

Templates run in Jinja2's sandbox, so a template can read the document it is given but not call into the
rest of Python. HTML is escaped automatically; Markdown is escaped by the environment's ``finalize``, so that
no policy text becomes markup in either unless a template asks for it explicitly.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import re
import traceback
from pathlib import Path

import jinja2
import markupsafe
from jinja2.sandbox import SandboxedEnvironment

from engine.core.safe_text import markdown_code, markdown_text, markdown_url

SHIPPED = Path(__file__).parent / "templates"

# The template each format starts from.
PAGES = {"html": "procedure.html.j2", "markdown": "procedure.md.j2"}


class TemplateProblem(Exception):
    """A template that cannot be found, parsed or rendered; ``where`` is its file and line when known."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


class Verbatim(str):
    """Markdown that a template writes as is: an anchor, a rule id, or an address already made safe."""


def _markdown(value: object) -> object:
    # Every value a Markdown template prints is escaped unless it was marked verbatim on purpose.
    if isinstance(value, Verbatim) or value is None:
        return value
    return markdown_text(value)


def _verbatim(value: object) -> Verbatim:
    return Verbatim(str(value))


def _md_url(value: object) -> Verbatim:
    url = markdown_url(str(value))
    return Verbatim(url or "")


def _sentence(text: object) -> str:
    text = str(text)
    return text[:1].upper() + text[1:]


def _lower_first(text: object) -> str:
    # "The child is under 5 and the plan is open": later clauses of one sentence start in lower case.
    text = str(text)
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


_CODE_SPAN = re.compile(r"`([^`]+)`")


def _code_spans(text: object) -> markupsafe.Markup:
    """Escaped HTML with each `backticked` name set as code: authors' notes name policy keys that way."""
    escaped = str(markupsafe.escape(str(text)))
    return markupsafe.Markup(_CODE_SPAN.sub(r"<code>\1</code>", escaped))


def _md_code_spans(text: object) -> Verbatim:
    """Markdown with each `backticked` name a code span and the rest escaped as text."""
    out = []
    for i, part in enumerate(_CODE_SPAN.split(str(text))):
        if i % 2:
            out.append(markdown_code(part))
        elif part.strip():
            # markdown_text trims; the spaces beside a code span are part of the sentence.
            lead, trail = " " * part[:1].isspace(), " " * part[-1:].isspace()
            out.append(lead + markdown_text(part) + trail)
        else:
            out.append(" " * bool(part))
    return Verbatim("".join(out))


class TemplateFolder(jinja2.FileSystemLoader):
    """An area's folder of templates (``--template DIR``), which remembers the templates a page read from it."""

    def __init__(self, path: Path):
        if not path.is_dir():
            what = "is a file; give the folder that holds it" if path.is_file() else "no such folder"
            raise TemplateProblem(what, str(path))
        super().__init__(path)
        self.path = path
        self.used: set[str] = set()

    def get_source(self, environment: jinja2.Environment, template: str):  # type: ignore[no-untyped-def]
        found = super().get_source(environment, template)
        self.used.add(template)
        return found

    def unknown_blocks(self, environment: jinja2.Environment) -> list[str]:
        """``procedure.html.j2: block 'brandng'`` for each block an area's template defines that the template it
        extends has not: a misspelt block is otherwise left out of the page in silence."""
        found = []
        for name in sorted(self.used):
            source = self.get_source(environment, name)[0]
            tree = environment.parse(source)
            parent = next(iter(tree.find_all(jinja2.nodes.Extends)), None)
            if parent is None or not isinstance(parent.template, jinja2.nodes.Const):
                continue
            known = _blocks(environment, str(parent.template.value))
            found += [f"{name}: block '{b.name}'" for b in tree.find_all(jinja2.nodes.Block) if b.name not in known]
        return found

    def unused(self) -> list[str]:
        """The template files in the folder that no page read: misnamed, or for the other format."""
        names = sorted(str(f.relative_to(self.path)) for f in self.path.rglob("*") if f.suffix in (".j2", ".css"))
        return [name for name in names if name not in self.used]


def _blocks(environment: jinja2.Environment, name: str) -> set[str]:
    """The blocks template ``name`` and the templates it extends define."""
    names = set(environment.get_template(name).blocks)
    source = environment.loader.get_source(environment, name)[0] if environment.loader else ""
    parent = next(iter(environment.parse(source).find_all(jinja2.nodes.Extends)), None)
    if parent is not None and isinstance(parent.template, jinja2.nodes.Const):
        names |= _blocks(environment, str(parent.template.value))
    return names


def environment(fmt: str, template_dir: Path | TemplateFolder | None = None) -> jinja2.Environment:
    """The template environment for ``html`` or ``markdown``, looking in ``template_dir`` first."""
    shipped = jinja2.FileSystemLoader(SHIPPED)
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(template_dir if isinstance(template_dir, TemplateFolder) else TemplateFolder(template_dir))
    # "cpc/…" is always the shipped template, so that an area's template of the same name can extend it.
    loaders += [jinja2.PrefixLoader({"cpc": shipped}), shipped]
    env = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=fmt == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_markdown if fmt == "markdown" else None,
    )
    env.filters.update(
        sentence=_sentence,
        lower_first=_lower_first,
        verbatim=_verbatim,
        md_url=_md_url,
        code_spans=_md_code_spans if fmt == "markdown" else _code_spans,
    )
    return env


def _template_line(exc: BaseException) -> str:
    """``templates/rule.html.j2, line 12``: the innermost template frame of a rendering error."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2") or "/templates/" in frame.filename:
            return f"{frame.filename}, line {frame.lineno}"
    return ""


def _suggest(message: str, names: list[str]) -> str:
    """ "; did you mean 'owner'?" for "'engine.review.render.Document object' has no attribute 'ownr'", and
    "; did you mean 'doc'?" for "'docs' is undefined" among the ``names`` a template is given."""
    undefined = re.match(r"'(\w+)' is undefined", message)
    if undefined:
        close = difflib.get_close_matches(undefined.group(1), names, n=1)
        return f"; did you mean '{close[0]}'?" if close else ""
    found = re.match(r"'(engine\.[\w.]+)\.(\w+) object' has no attribute '(\w+)'", message)
    if not found:
        return ""
    module, name, attribute = found.groups()
    kind = getattr(importlib.import_module(module), name, None)
    if kind is None or not dataclasses.is_dataclass(kind):
        return ""
    close = difflib.get_close_matches(attribute, [f.name for f in dataclasses.fields(kind)], n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def render_page(fmt: str, template_dir: Path | TemplateFolder | None, **context: object) -> str:
    """Render the page template of ``fmt`` with ``context``; any failure is a :class:`TemplateProblem`."""
    env = environment(fmt, template_dir)
    try:
        return env.get_template(PAGES[fmt]).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name}, line {exc.lineno}"
        raise TemplateProblem(f"template syntax: {exc.message}", where) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateProblem(f"no template named '{exc.name}'", _template_line(exc)) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        # An undefined variable, a blocked call or a bad filter argument: name the template line it is on.
        hint = _suggest(str(exc), sorted(context))
        raise TemplateProblem(f"{type(exc).__name__}: {exc}{hint}", _template_line(exc)) from None
