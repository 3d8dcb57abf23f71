"""The one palette: a colour and a text label per field name, for the views and the front end.

Knows: the Okabe-Ito colours and the field names of ``address.Decomposition``.
Does not know: HTML, SVG, JavaScript; ``views.common`` and
``frontend.viewdata`` both take their colours from here, so a field has the
same colour in a static view and in an in-page explorer.
"""

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under the
#: common colour-vision deficiencies. Yellow is kept out of text backgrounds.
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

#: One colour per field name, the same in every notebook. Names that are the
#: same bits share a colour (PDPTE index = PD quadrant).
FIELD_COLOURS = {
    "va": PALETTE["black"],
    "pdpte_index": PALETTE["vermillion"],
    "pd_quadrant": PALETTE["vermillion"],
    "guest_pde_index": PALETTE["orange"],
    "pde_pair": PALETTE["blue"],
    "shadow_pde_index": PALETTE["blue"],
    "pt_quadrant": PALETTE["reddish_purple"],
    "guest_pte_index": PALETTE["sky_blue"],
    "shadow_pte_index": PALETTE["bluish_green"],
    "page_offset": PALETTE["grey"],
    "spte": PALETTE["yellow"],
}

#: The text that goes with each colour; "pde_pair" names bits 29:22, the
#: part of the PAE PDE index that the guest PDE index also holds.
FIELD_LABELS = {
    "va": "guest virtual address",
    "pdpte_index": "PDPTE index",
    "pd_quadrant": "PD quadrant",
    "guest_pde_index": "guest PDE index",
    "pde_pair": "pair of PAE PDEs",
    "shadow_pde_index": "PAE PDE index",
    "pt_quadrant": "PT quadrant",
    "guest_pte_index": "guest PTE index",
    "shadow_pte_index": "PAE PTE index",
    "page_offset": "page offset",
    "spte": "zapped sPTE",
}

#: The text colour that reads on each palette colour (black on the light ones).
INK = {colour: "#fff" if name in ("black", "vermillion", "blue", "bluish_green") else "#000"
       for name, colour in PALETTE.items()}
