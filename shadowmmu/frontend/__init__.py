"""The front-end room: every in-page explorer (anywidget), for notebooks 02-10.

Notebooks 02-05 and 09 compute in the page from the model's tables; notebooks
06, 07, 08 and 10 draw records of ``shadowmmu.states`` (the simulator's results,
computed in Python). This package knows the model (consts, address, role, rules,
writes), the palette, the exercise engine's public functions and the records of
``states``. It never imports or constructs the simulator itself. Only this package
imports anywidget and ipywidgets.

* ``viewdata``  the tables the page computes from (layouts, rule tables, palette);
* ``assets``    the widgets' bundled ES modules (``js/`` bundled by esbuild into
  ``bundle/``, see ``assets``' docstring) and the style sheets;
* ``explorers`` notebooks 02-05 and 09: the anywidget classes and their builders
  (``js/explorer.js`` and the pictures it draws), ``linked()``, ``static_svg()``;
* ``node``      runs the page's drawing functions under node for static pictures;
* ``figures``   a notebook figure that is not an explorer: one drawing call, drawn by node
  (``js/refutation.js`` for notebook 04, ``js/address_map.js`` for 10, or one explorer state);
* ``simexplorer`` the base of the simulator explorers (``js/sim.js`` is its page half):
  precomputed states, request/answer with a kernel for any other input, and the record
  schema (``states.schema``) checked on both sides;
* ``fault_explorer`` notebook 06's page-fault explorer (``trees.js``, ``fault.js``);
* ``writes_explorer`` notebook 07's guest-write explorer (``writes.js``);
* ``whole_guest_explorer`` notebook 08's whole-guest explorer (``guest.js``);
* ``real_guest_explorer`` notebook 10's explorers (``real_draw.js``, ``real.js``): one
  address of a real snapshot and its page directory, and the CR3 switch.
"""
