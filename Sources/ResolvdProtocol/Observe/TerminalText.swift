/// Text that came from a client or the network made safe to print on a terminal: the one
/// escaping function of resolvdctl's human output (monitor, show-cache, stats, lookups,
/// error messages) and of the names the daemon refused when it reports them to monitors.
///
/// Every Unicode scalar that a terminal does not show as itself is written as `\xNN` (below
/// U+0100) or `\u{NNNN}`: C0 and C1 controls and DEL (ESC sequences, BEL, a newline that
/// would start a forged line), format characters (bidi overrides, zero-width characters),
/// line and paragraph separators, surrogates, private-use and unassigned scalars. Any
/// other character, backslash included, is kept: so escaping is idempotent —
/// `escaped(escaped(x)) == escaped(x)` — and text escaped by the daemon is not escaped
/// twice by resolvdctl. It does not make fields unambiguous (a backslash in a name looks
/// like an escape): it makes them harmless.
public enum TerminalText {
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16)
            if scalar.value < 0x100 {
                result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                result += "\\u{" + hex + "}"
            }
        }
        return result
    }

    /// True for a scalar a terminal would act on or not show as itself.
    @inline(__always)
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value >= 0x20 && value < 0x7f { return false }  // printable ASCII: the common case
        if value < 0x20 || (value >= 0x7f && value < 0xa0) { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }
}
