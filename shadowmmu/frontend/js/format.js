// Numbers as the series writes them: hex in capitals, zero-padded; grouped decimals.

// 0x%0*X: "0x" + upper-case hex digits, padded to `digits`.
export function hexOf(v, digits = 0) {
  return "0x" + Number(v).toString(16).toUpperCase().padStart(digits, "0");
}

// A guest-physical address, or "none" / another word when there is none.
export function gpaOf(v, none = "none") {
  return v === null || v === undefined ? none : hexOf(v, 8);
}

// 94208 -> "94,208" (digit grouping only).
export function grouped(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
