/// The `13a` tokeniser: mteval-v13a.pl's tokenisation as sacrebleu 2.x implements it, which is
/// BLEU's default and what makes BLEU scores comparable across papers (Post 2018, "A Call for
/// Clarity in Reporting BLEU Scores").
///
/// Steps, in sacrebleu's order, on Unicode scalars (code points):
/// 1. strip trailing whitespace (sacrebleu reads lines with `rstrip()`);
/// 2. delete `<skipped>` and `-\n`, turn `\n` into a space;
/// 3. if the line holds `&`, unescape `&quot;` `&amp;` `&lt;` `&gt;`, one after the other;
/// 4. pad the line with a space on each side, then apply four substitutions left to right:
///    - ASCII punctuation and symbols other than `'` `-` `.` `,` get a space on each side
///      (the class `[{-~[-\` -&(-+:-@/]`);
///    - `.` and `,` get split off unless preceded by a digit (`([^0-9])([.,])` → `\1 \2 `);
///    - `.` and `,` get split off unless followed by a digit (`([.,])([^0-9])` → ` \1 \2`);
///    - `-` gets split off after a digit (`([0-9])(-)` → `\1 \2 `);
/// 5. split on whitespace.
///
/// Each substitution is a two-scalar (or one-scalar) pattern applied like `re.sub`: matches are
/// found left to right and never overlap, so `a..` splits only its first period.
public enum Tokenizer13a {
    /// The tokens of `line`.
    public static func tokenize(_ line: String) -> [String] {
        tokenScalars(line).map { String(String.UnicodeScalarView($0)) }
    }

    /// The tokens of `line` as scalar arrays, which compare code point by code point as Python
    /// does (Swift's `String ==` would equate canonically equivalent spellings of `é`).
    public static func tokenScalars(_ line: String) -> [[Unicode.Scalar]] {
        var text = PythonWhitespace.trimmingTrailing(line.scalarArray)
        text = replacing("<skipped>", with: "", in: text)
        text = replacing("-\n", with: "", in: text)
        text = replacing("\n", with: " ", in: text)
        if text.contains("&") {
            text = replacing("&quot;", with: "\"", in: text)
            text = replacing("&amp;", with: "&", in: text)
            text = replacing("&lt;", with: "<", in: text)
            text = replacing("&gt;", with: ">", in: text)
        }
        text = [" "] + text + [" "]
        text = padSymbols(text)
        text = substitutePairs(text, spaces: (false, true, true)) { !isDigit($0) && isPeriodOrComma($1) }
        text = substitutePairs(text, spaces: (true, true, false)) { isPeriodOrComma($0) && !isDigit($1) }
        text = substitutePairs(text, spaces: (false, true, true)) { isDigit($0) && $1 == "-" }
        return PythonWhitespace.split(text)
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
    private static func isPeriodOrComma(_ scalar: Unicode.Scalar) -> Bool { scalar == "." || scalar == "," }

    /// Whether `scalar` is in the first substitution's class `[{-~[-\` -&(-+:-@/]`.
    private static func isPaddedSymbol(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    /// `([class])` → ` \1 `.
    private static func padSymbols(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count * 2)
        for scalar in text {
            if isPaddedSymbol(scalar) { result += [" ", scalar, " "] } else { result.append(scalar) }
        }
        return result
    }

    /// `(a)(b)` → `[space]\1[space]\2[space]` for each left-to-right, non-overlapping match of
    /// the two-scalar pattern `matches(a, b)`; `spaces` says which of the three spaces to write.
    private static func substitutePairs(
        _ text: [Unicode.Scalar], spaces: (Bool, Bool, Bool),
        where matches: (Unicode.Scalar, Unicode.Scalar) -> Bool
    ) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count + text.count / 2)
        var index = 0
        while index < text.count {
            if index + 1 < text.count, matches(text[index], text[index + 1]) {
                if spaces.0 { result.append(" ") }
                result.append(text[index])
                if spaces.1 { result.append(" ") }
                result.append(text[index + 1])
                if spaces.2 { result.append(" ") }
                index += 2
            } else {
                result.append(text[index])
                index += 1
            }
        }
        return result
    }

    /// Python's `str.replace(pattern, replacement)`: left to right, non-overlapping.
    static func replacing(
        _ pattern: String, with replacement: String, in text: [Unicode.Scalar]
    ) -> [Unicode.Scalar] {
        let needle = pattern.scalarArray
        let substitute = replacement.scalarArray
        guard !needle.isEmpty, text.count >= needle.count else { return text }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if index + needle.count <= text.count, text[index..<(index + needle.count)].elementsEqual(needle) {
                result += substitute
                index += needle.count
            } else {
                result.append(text[index])
                index += 1
            }
        }
        return result
    }
}
