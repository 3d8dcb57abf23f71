"""The front-end room: explorers that compute in the page (anywidget), for notebooks 02-05 and 09.

This package knows the model (consts, address, role, rules, writes), the palette
and, for notebook 09's questions, the exercise engine's public functions. It
never imports or constructs the simulator.

* ``viewdata``  the tables the page computes from (layouts, rule tables, palette);
* ``assets``    the ES modules (``model.js``, ``draw.js``, ``explorer.js``) joined;
* ``explorers`` the anywidget classes and their builders, plus ``static_svg()``.
"""
