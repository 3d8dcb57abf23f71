"""The front-end room: the in-page explorers (anywidget), for notebooks 02-10.

Notebooks 02-05 and 09 compute in the page from the model's tables; notebooks
06, 07, 08 and 10 draw records of ``shadowmmu.states`` (the simulator's results,
computed in Python). This package knows the model (consts, address, role, rules,
writes), the palette, the exercise engine's public functions and the records of
``states``. It never imports or constructs the simulator itself.

* ``viewdata``  the tables the page computes from (layouts, rule tables, palette);
* ``assets``    the bundled ES modules (``js/`` bundled by esbuild into ``bundle/``);
* ``explorers`` the anywidget classes and their builders, plus ``static_svg()``;
* ``node``      runs the page's drawing functions under node for static pictures;
* ``simexplorer`` the base of the simulator explorers (``sim.js`` is its page half):
  precomputed states, and request/answer with a kernel for any other input;
* ``writes_explorer`` notebook 07's guest-write explorer (``writes.js``).
* ``real_guest_explorer`` notebook 10's explorers (``real.js``): one address of a real
  snapshot and its page directory, and the CR3 switch.
"""
