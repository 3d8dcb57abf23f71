"""The states the in-page simulator explorers show (notebooks 06, 07, 08, 10): plain records.

This layer sits between the simulator and the page. It runs the scenarios
(``shadowmmu.scenarios``) and reads the simulator's results and state
(``shadowmmu.sim``), and turns them into JSON-ready records: dicts, lists,
ints, strings and booleans, nothing else. It writes no HTML and draws nothing;
the ES modules of ``shadowmmu.frontend`` draw these records. It knows no
widget, no DOM and no ipywidgets.

One function per explorer maps the reader's inputs to one record. It is pure: the
same inputs give the same record, byte for byte, whether it runs live in a kernel
or at ``make site`` time to precompute the static page's state space (``space``).

* ``space``  the input keys and the state spaces (inputs -> record, precomputed);
* ``trees``  the two trees (the guest's tables beside their shadow) of one address,
  the picture notebooks 06 and 07 step through;
* ``fault``  notebook 06: one page fault, its steps in the kernel's order;
* ``writes``  notebook 07: one guest store, step by step, with ``write_inputs`` (its
  inputs checked and made canonical), ``write_questions`` ("predict, then see") and
  ``write_texts`` (what each step says);
* ``whole_guest``  notebook 08: the Linux-like guest under one rule, one record;
* ``real_guest``  notebook 10: one address of a real snapshot three ways, its page
  directory, and the CR3 switch between the two user processes.
"""
