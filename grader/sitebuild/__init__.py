"""The course site: ``grade site`` builds course/, the exercises, the checks and figures into HTML.

The build gathers everything first (:mod:`.sources`), validates it, renders it with the jinja2
templates of the repository's top-level ``site/`` folder (:mod:`.render`), checks every internal
link of the result (:mod:`.links`) and only then writes the folder. Figures come from running the
reference solutions in a subprocess (:mod:`.figures`) and are cached by the solution's hash.
"""

from grader.sitebuild.build import BuildReport, build_site
from grader.sitebuild.errors import SiteError

__all__ = ["BuildReport", "SiteError", "build_site"]
