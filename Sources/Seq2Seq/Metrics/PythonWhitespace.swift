/// Whitespace exactly as Python's `str.isspace`, `str.split()` and `str.rstrip()` see it.
///
/// sacrebleu is written in Python, so "whitespace" in its tokenisers and n-gram extractors means
/// Python's set of 29 code points (`\t \n \v \f \r`, `\x1c`–`\x1f`, space, `\x85`, no-break space,
/// the Unicode space separators and the line and paragraph separators). Swift's
/// `Character.isWhitespace` is a different set, so the metrics use this one to agree with sacrebleu
/// to the last token. All functions work on Unicode scalars (code points), as Python's `str` does.
enum PythonWhitespace {
    /// Whether `scalar` is whitespace to Python's `str.isspace()`.
    static func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A,
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `text.split()`: the maximal runs of non-whitespace scalars.
    static func split(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if contains(scalar) {
                if !current.isEmpty { words.append(current); current.removeAll(keepingCapacity: true) }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// `text.rstrip()`: `scalars` without its trailing whitespace.
    static func trimmingTrailing(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var end = scalars.count
        while end > 0, contains(scalars[end - 1]) { end -= 1 }
        return Array(scalars[0..<end])
    }

    /// `''.join(text.split())`: `scalars` with every whitespace scalar removed.
    static func removingAll(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        scalars.filter { !contains($0) }
    }
}

extension String {
    /// The string's Unicode scalars, as Python indexes a `str` (no normalisation, no graphemes).
    var scalarArray: [Unicode.Scalar] { Array(unicodeScalars) }
}
