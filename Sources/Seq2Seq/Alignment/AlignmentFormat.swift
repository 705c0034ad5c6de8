/// The file formats `attend align` writes, and how their files are named.
///
/// | format    | `--out PATH` is | contents |
/// |-----------|-----------------|----------|
/// | `csv`     | a folder        | `PATH/000001.csv`, … : one matrix per sentence (``CSVAlignmentWriter``) |
/// | `long`    | a file, or `-`  | one CSV, a line per weight (``CSVAlignmentWriter``) |
/// | `pharaoh` | a file, or `-`  | a line of `i-j` links per sentence (``PharaohWriter``) |
/// | `svg`     | a folder        | `PATH/000001.svg`, … : one heatmap per sentence (``SVGHeatmapWriter``) |
///
/// A *suffix* says which attention a file holds when a model has several, such as a
/// Transformer's `layer2.head3`: it goes between the sentence number and the extension
/// (`000001.layer2.head3.csv`), or, for the one-file formats, before the file's extension
/// (`align.txt` → `align.layer2.head3.txt`). The empty suffix changes nothing.
public enum AlignmentFormat: String, CaseIterable, Sendable {
    case csv, long, pharaoh, svg

    /// The format used when none is asked for.
    public static let defaultFormat = AlignmentFormat.csv

    /// The digits of the sentence number in a per-sentence file name (`000001`).
    public static let sentenceNumberDigits = 6

    /// Whether the format writes one file per sentence into a folder (`csv`, `svg`) rather than
    /// one file for all sentences (`long`, `pharaoh`).
    public var writesOneFilePerSentence: Bool {
        switch self {
        case .csv, .svg: return true
        case .long, .pharaoh: return false
        }
    }

    /// The extension of the per-sentence files, or of a one-file format's usual file name.
    public var fileExtension: String {
        switch self {
        case .csv, .long: return "csv"
        case .pharaoh: return "txt"
        case .svg: return "svg"
        }
    }

    /// The name of sentence `sentence`'s file in a per-sentence folder: `000001.csv`, or with a
    /// suffix `000001.layer2.head3.csv`. Numbers past 999999 simply take more digits.
    ///
    /// - Parameters:
    ///   - sentence: the sentence's number, counted from 1.
    ///   - suffix: which attention the file holds, or `""`; see ``isValidSuffix(_:)``.
    public func fileName(sentence: Int, suffix: String = "") -> String {
        let digits = String(sentence)
        let padded = String(repeating: "0", count: max(0, Self.sentenceNumberDigits - digits.count)) + digits
        return [padded, suffix, fileExtension].filter { !$0.isEmpty }.joined(separator: ".")
    }

    /// `path` with `suffix` put before the extension of its last component, for the one-file
    /// formats: `out/align.txt` → `out/align.layer2.head3.txt`, `out/align` → `out/align.layer2.head3`.
    /// `-` (standard output) and the empty suffix leave the path as it is.
    public static func path(_ path: String, withSuffix suffix: String) -> String {
        guard !suffix.isEmpty, path != "-" else { return path }
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let name = path[slash...]
        // A leading dot starts a hidden file's name, not an extension.
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return path + "." + suffix }
        return String(path[..<dot]) + "." + suffix + String(path[dot...])
    }

    /// Whether `suffix` can go into a file name: empty, or letters, digits, `-`, `_` and inner
    /// dots (`layer2.head3`), with no leading, trailing or double dot.
    public static func isValidSuffix(_ suffix: String) -> Bool {
        if suffix.isEmpty { return true }
        let allowed = suffix.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": return true
            default: return false
            }
        }
        return allowed && !suffix.hasPrefix(".") && !suffix.hasSuffix(".") && !suffix.contains("..")
    }
}
