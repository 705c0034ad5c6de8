/// Text handling for the SVG heatmaps: XML escaping, and a width estimate good enough to size the
/// picture without font metrics.
enum SVGText {
    /// `text` made safe for XML character data and attribute values (both quote styles): the
    /// five special characters become entities, and characters XML 1.0 forbids (C0 controls other
    /// than tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD.
    static func escaped(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                let forbidden = scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF
                result.unicodeScalars.append(forbidden ? "\u{FFFD}" : scalar)
            }
        }
        return result
    }

    /// A label as it is drawn: on one line (tabs and line breaks shown as spaces) and cut with
    /// an ellipsis when wider than `maxWidth`. The full token stays in the label's `<title>`.
    static func label(_ token: String, fontSize: Double, maxWidth: Double) -> String {
        let oneLine = String(String.UnicodeScalarView(token.unicodeScalars.map {
            $0.value < 0x20 ? " " : $0
        }))
        guard width(of: oneLine, fontSize: fontSize) > maxWidth else { return oneLine }
        var cut = ""
        let budget = maxWidth - width(of: "…", fontSize: fontSize)
        for character in oneLine {
            guard width(of: cut + String(character), fontSize: fontSize) <= budget else { break }
            cut.append(character)
        }
        return cut + "…"
    }

    /// The estimated advance width of `text` in a sans-serif font: 0.62 em for most characters
    /// (DejaVu Sans' average, on the generous side), 1 em for East Asian wide characters and
    /// emoji, 0.35 em for narrow punctuation.
    static func width(of text: String, fontSize: Double) -> Double {
        var ems = 0.0
        for character in text {
            guard let scalar = character.unicodeScalars.first else { continue }
            ems += emWidth(of: scalar)
        }
        return ems * fontSize
    }

    private static func emWidth(of scalar: Unicode.Scalar) -> Double {
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1FAFF, 0x20000...0x3FFFD:
            return 1.0
        case 0x20, 0x21, 0x27, 0x2C, 0x2E, 0x3A, 0x3B, 0x49, 0x69, 0x6A, 0x6C, 0x7C:
            return 0.35
        case 0x4D, 0x57, 0x6D, 0x77:
            return 0.9
        default:
            return 0.62
        }
    }

    /// A coordinate or length, locale-free, with at most one decimal: `12`, `12.5`.
    static func number(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = abs(tenths)
        return magnitude % 10 == 0 ? "\(sign)\(magnitude / 10)" : "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }
}
