"""The technical view of a submission's checks: Great Expectations' own Data Docs page for
one file, made to work offline (``smewg data-docs FILE``). The focal point's plain report is
:mod:`smewg.work.validation_report`; this page is for the data engineer.

One GX 1.x validation result as a Great Expectations Data Docs page that needs no network.

GX's own renderer (ValidationResultsPageRenderer) and view (DefaultJinjaPageView) with a
few of the view's templates replaced: no CDN <link>/<script>, no jQuery/bootstrap JS (a
collapsed block is a <details>), no logo, newsletter footer or links to a Data Docs site
that does not exist. GX's stylesheet is inlined (its one url() dropped) with a small
hand-written subset of the bootstrap classes GX uses.

GX's view does not escape plain strings (e.g. the unexpected values in a failed rule's
table): its .j2 templates have no autoescape. The view below escapes every plain value
it is given; GX's string templates escape their own parameters.
"""

from __future__ import annotations

import copy
import hashlib
import html
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.render.renderer import ValidationResultsPageRenderer
from great_expectations.render.view import DefaultJinjaPageView
from jinja2 import ChoiceLoader, DictLoader, pass_context

from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext
from smewg.work.parse import parse_submission
from smewg.work.quality import load_suite, prepare, run_suite, suite_parameters
from smewg.work.submissions import previous_year_values

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{ page_title | e }}</title>
<style>{% include 'data_docs_default_styles.css' %}</style>
<style>{% include 'data_docs_custom_styles.css' %}</style>
</head><body>
<header class="ge-top border-bottom"><h1>{{ page_title | e }}</h1></header>
<div class="container-fluid pt-4 pb-4 pl-5 pr-5"><div class="row">
{% include 'sidebar.j2' %}
<div class="col-md-10 col-lg-10 col-xs-12 pl-md-4 pr-md-3">
{% for section in sections %}{% set section_loop = loop -%}{% include 'section.j2' %}{% endfor %}
</div></div></div>
</body></html>
"""

_COLLAPSE = """{% set collapse_toggle_link = content_block.get("collapse_toggle_link", "Show more...") %}
<details class="ge-collapse">
  <summary>{{ collapse_toggle_link | render_content_block }}</summary>
  {% set content_block_body_styling = "" %}{% include 'content_block_header.j2' %}
  {% for block in content_block["collapse"] %}
    {{ block | render_content_block(content_block_id=content_block_id ~ "-collapse-item-" ~ loop.index) }}
  {% endfor %}
</details>
"""

_CSS = """
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#212529;background:#fff}
*,::before,::after{box-sizing:border-box}
h1,h4,h5,h6,.h6{margin:0 0 .5rem;font-weight:500;line-height:1.2} h4{font-size:1.5rem} h5{font-size:1.25rem} h6,.h6{font-size:1rem}
.ge-top{padding:.8rem 3rem;background:#f8f9fa} .ge-top h1{font-size:1.1rem;margin:0;word-break:break-word}
.lead{font-size:1.1rem;font-weight:300} a{color:#0062cc}
.row{display:flex;flex-wrap:wrap} .container-fluid{width:100%} .col-12,.col-xs-12,.col-sm-12{flex:0 0 100%;max-width:100%}
.col-6{flex:0 0 50%;max-width:50%} .col-md-2{flex:0 0 16.66%;max-width:16.66%} .col-md-10{flex:0 0 83.33%;max-width:83.33%}
@media (max-width:767px){.col-md-2,.col-md-10{flex:0 0 100%;max-width:100%}}
.d-none{display:none} .d-flex{display:flex} @media (min-width:768px){.d-md-block{display:block}}
.justify-content-center{justify-content:center} .align-items-center{align-items:center} .pl-md-4{padding-left:1.5rem}
.card{border:1px solid rgba(0,0,0,.125);border-radius:.25rem;background:#fff;margin-bottom:1rem}
.card-header{background:rgba(0,0,0,.03);border-bottom:1px solid rgba(0,0,0,.125)} .card-body{padding:.5rem}
.nav{list-style:none;margin:0;padding:0} .nav-link{display:block;padding:.2rem .5rem;text-decoration:none}
.alert{padding:.75rem 1.25rem;margin-bottom:1rem;border:1px solid transparent;border-radius:.25rem}
.alert-secondary{color:#383d41;background:#e2e3e5;border-color:#d6d8db} .alert-warning{color:#856404;background:#fff3cd}
.table{width:100%;margin-bottom:1rem;border-collapse:collapse} .table td,.table th{padding:.75rem;vertical-align:top;border-top:1px solid #dee2e6;text-align:left}
.table-sm td,.table-sm th{padding:.3rem} .table-bordered td,.table-bordered th{border:1px solid #dee2e6}
.table-responsive{overflow-x:auto} thead[hidden]{display:none}
.badge{display:inline-block;padding:.25em .4em;font-size:80%;font-weight:600;line-height:1.2;border-radius:.25rem;color:#fff;white-space:normal;word-break:break-all;margin:1px}
.badge-primary{background:#007bff} .badge-secondary{background:#6c757d} .badge-success{background:#28a745}
.badge-danger{background:#dc3545} .badge-info{background:#17a2b8} .badge-warning{background:#ffc107;color:#212529}
.text-success{color:#28a745} .text-danger{color:#dc3545} .text-warning{color:#d39e00} .text-muted{color:#6c757d}
.fas{font-style:normal;font-weight:700} .fa-check-circle::before{content:"\\2714"} .fa-times::before{content:"\\2716"}
.fa-exclamation-triangle::before{content:"\\26A0"} .fa-question-circle::before{content:"?"}
details.ge-collapse summary{cursor:pointer;color:#0062cc}
@media (prefers-color-scheme:dark){body,.card{background:#16181b;color:#e6e6e6}.ge-top{background:#23262a}
 .alert-secondary{background:#2c3035;color:#e6e6e6;border-color:#444} .card-header{background:#23262a} a,details.ge-collapse summary{color:#6ea8fe}}
"""
_SIZES = {"0": "0", "1": ".25rem", "2": ".5rem", "3": "1rem", "4": "1.5rem", "5": "3rem"}
_SIDES = {
    "": ("",),
    "t": ("-top",),
    "b": ("-bottom",),
    "l": ("-left",),
    "r": ("-right",),
    "x": ("-left", "-right"),
    "y": ("-top", "-bottom"),
}
_SPACING = "".join(
    f".{p[0]}{s}-{n}{{{';'.join(f'{p}{side}:{v}' for side in sides)}}}"
    for p in ("margin", "padding")
    for s, sides in _SIDES.items()
    for n, v in _SIZES.items()
)
_TEMPLATES = {
    "page.j2": _PAGE,
    "collapse.j2": _COLLAPSE,
    "page_action_card.j2": "",  # its "Failed only" filter is jQuery
    "graph.j2": "<p><em>(chart not shown: it needs JavaScript)</em></p>",
    "bootstrap_table.j2": "<p><em>(table not shown: it needs JavaScript)</em></p>",
    "data_docs_custom_styles.css": _CSS + _SPACING,
}


class OfflinePageView(DefaultJinjaPageView):
    """GX's page view with its network-bound templates replaced and plain values escaped."""

    def __init__(self) -> None:
        super().__init__()
        gx_loader = self.env.loader
        assert gx_loader is not None  # GX's view always has its package loader
        gx_css = gx_loader.get_source(self.env, "data_docs_default_styles.css")[0]
        css = re.sub(r"url\([^)]*\)", "none", gx_css)  # its one url(): a logo on GX's servers (dark mode)
        self.env.loader = ChoiceLoader([DictLoader({**_TEMPLATES, "data_docs_default_styles.css": css}), gx_loader])

    @pass_context
    def render_content_block(self, jinja_context, content_block, *args, **kwargs):
        def plain(item):  # anything but a GX component (those escape their own parameters)
            return not (isinstance(item, dict) and "content_block_type" in item or hasattr(item, "to_json_dict"))

        if isinstance(content_block, list):
            content_block = [html.escape(str(item), quote=False) if plain(item) else item for item in content_block]
        elif content_block is not None and plain(content_block):
            return html.escape(str(content_block), quote=False)
        return super().render_content_block(jinja_context, content_block, *args, **kwargs)


class _Check(HTMLParser):
    """Collects what would run or fetch something: scripts, handlers, any src/href but #anchors, url()."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            linked = name in ("src", "href", "srcset", "action", "data", "poster") and not value.startswith("#")
            if name.startswith("on") or "url(" in value or linked:
                self.found.append(f"<{tag} {name}={value[:60]}>")
        if tag in ("script", "iframe", "object", "embed", "img", "link", "base", "form"):
            self.found.append(f"<{tag}>")

    def handle_data(self, data):
        if self.lasttag == "style" and re.search(r"url\(|@import", data):
            self.found.append("url() or @import in a stylesheet")


_LINK = re.compile(r'<a href="(?!#)[^"]*"[^>]*>(.*?)</a>', re.S)  # GX's links to other pages of a Data Docs site


def render_data_docs(result, run_name: str | None = None, run_time: datetime | None = None, asset: str | None = None) -> str:
    """``result`` (an ExpectationSuiteValidationResult) as one self-contained Data Docs HTML page.

    ``run_name`` (e.g. "AUS 2022 submission 9fff8b4f35b4869a") is shown as the page's run,
    ``asset`` (default: the GX data asset's name) as its "Data asset"; ``result`` is not changed.
    """
    result = copy.copy(result)
    meta = dict(result.meta)
    if run_name is not None or "run_id" not in meta:
        meta["run_id"] = RunIdentifier(run_name=run_name or result.suite_name, run_time=run_time or now_utc())
    meta["batch_spec"] = {**(meta.get("batch_spec") or {}), "data_asset_name": asset or result.asset_name or ""}
    result.meta = meta
    page = _LINK.sub(r"\1", OfflinePageView().render(ValidationResultsPageRenderer().render(result)))
    check = _Check()
    check.feed(page)
    if check.found:
        raise RuntimeError(f"the Data Docs page would run or fetch something: {check.found[:3]}")
    return page


def write_data_docs(context: CycleContext, path: Path, economy: str) -> Path:
    """Validate ``path`` (``economy``'s file for the context's cycle) with the whole suite and
    write its Data Docs page beside the plain reports: ``<checksum>.gx.html``. Raises
    :class:`~smewg.work.parse.SubmissionRejected` for a file that cannot be read at all."""
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    plan = context.catalogue.plan
    parsed = parse_submission(
        path,
        data=data,
        economy=economy,
        year=context.year,
        registry=context.catalogue.economies,
        kinds={i.id: i.kind for i in plan.all_indicators()},
        max_bytes=context.settings.max_submission_bytes,
    )
    suite = load_suite(parameters=suite_parameters(plan, context.year))
    previous = previous_year_values(context.engine, plan.id, context.year, economy)
    result = run_suite(prepare(parsed.frame, plan, previous), suite)
    page = render_data_docs(result, run_name=f"{economy} {context.year} submission {checksum[:16]}", asset=path.name)
    out = context.settings.data_docs_dir / str(context.year) / economy / f"{checksum[:16]}.gx.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out
