"""The Standard Safeguarding Dataset: reading an extract into cases, and reconciling its dates with cpc's."""
