"""The tables: pure render_*() functions returning HTML tables of numbers, one module per topic.

Every *picture* of the series is drawn by the page's JS (``shadowmmu.frontend``), live
and, under node, for the static copy in a notebook's output; nothing here draws one.
``common`` holds the palette, the value span and the table every view uses; ``address``
(notebooks 01, 02), ``splits`` (03, 04), ``rules`` (05), ``fault`` (06), ``writes`` (07),
``whole_guest`` (08), ``exercises`` (09) and ``real_guest`` (10) tabulate one topic each.
Notebooks import from those modules; this package re-exports their public names so
``from shadowmmu import views; views.render_table(...)`` keeps working.

Knows: the model and the plain records the simulator and scenarios produce. Does not
know: ipywidgets, or live Guest/ShadowMMU objects (tests/test_layering.py checks).
"""

from ..address import (
    parse_address,
)
from ..exercises import (
    EXERCISE_FIELDS,
    EXERCISE_KINDS,
    Exercise,
    check_answers,
    make_exercise,
)
from .address import (
    preset_rows,
    render_preset_table,
)
from .common import (
    FIELD_COLOURS,
    FIELD_LABELS,
    PALETTE,
    PRESETS,
    READOUT_FIELDS,
    esc,
    format_value,
    render_note,
    render_table,
    text_colour,
    value_span,
)
from .exercises import (
    exercise_rows,
    render_solution,
)
from .fault import (
    EVENT_STYLE,
    event_chip,
    explain_event,
    fault_summary,
    render_fault_presets,
    render_fault_summary,
    render_shadow_pages,
    render_trace,
)
from .real_guest import (
    half_summary_rows,
    oracle_sample_rows,
    oracle_tally_rows,
    pt_half_rows,
    real_pd_rows,
    real_switch_rows,
    render_half_summary,
    render_oracle_sample,
    render_oracle_tally,
    render_pt_halves,
    render_real_pd_counts,
    render_real_switch,
    render_user_areas,
    user_area_rows,
)
from .rules import (
    render_rule_checks,
    render_rule_table,
    rule_quadrants,
    rule_rows,
)
from .splits import (
    halves_verdict,
    interleave_window,
    pd_quarter_rows,
    pd_split_layout,
    render_pd_presets,
    render_pd_quarters,
    render_pt_presets,
)
from .whole_guest import (
    census_rows,
    overhead_rows,
    quadrant_usage_rows,
    render_bug_lab,
    render_census,
    render_overhead,
    render_quadrant_usage,
)
from .writes import (
    render_translate_timeline,
    render_write_presets,
    render_write_result,
    write_outcome,
)

__all__ = [
    "PALETTE",
    "FIELD_COLOURS",
    "FIELD_LABELS",
    "READOUT_FIELDS",
    "PRESETS",
    "esc",
    "text_colour",
    "format_value",
    "value_span",
    "render_note",
    "render_table",
    "preset_rows",
    "render_preset_table",
    "pd_split_layout",
    "render_pd_presets",
    "render_pt_presets",
    "pd_quarter_rows",
    "render_pd_quarters",
    "interleave_window",
    "halves_verdict",
    "rule_rows",
    "render_rule_table",
    "rule_quadrants",
    "render_rule_checks",
    "EXERCISE_KINDS",
    "EXERCISE_FIELDS",
    "Exercise",
    "make_exercise",
    "check_answers",
    "render_solution",
    "exercise_rows",
    "parse_address",
    "EVENT_STYLE",
    "event_chip",
    "explain_event",
    "fault_summary",
    "render_fault_summary",
    "render_trace",
    "render_fault_presets",
    "render_shadow_pages",
    "write_outcome",
    "render_translate_timeline",
    "render_write_result",
    "render_write_presets",
    "census_rows",
    "render_census",
    "overhead_rows",
    "render_overhead",
    "quadrant_usage_rows",
    "render_quadrant_usage",
    "render_bug_lab",
    "real_pd_rows",
    "render_real_pd_counts",
    "user_area_rows",
    "render_user_areas",
    "pt_half_rows",
    "render_pt_halves",
    "half_summary_rows",
    "render_half_summary",
    "real_switch_rows",
    "render_real_switch",
    "oracle_sample_rows",
    "render_oracle_sample",
    "oracle_tally_rows",
    "render_oracle_tally",
]
