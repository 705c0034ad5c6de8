import Foundation

/// Why a text file could not be read.
public enum TextFileError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case unreadable(path: String)
    case notUTF8(path: String)

    public var description: String {
        switch self {
        case .missing(let path): return "no such file: \(path)"
        case .unreadable(let path): return "cannot read \(path)"
        case .notUTF8(let path): return "\(path) is not valid UTF-8"
        }
    }
}

/// The lines of a UTF-8 text file, split as sacrebleu (and Python with `newline="\n"`) splits
/// them: at `\n` only, without the `\n`; a final line without `\n` still counts, and an empty
/// file has no lines. A `\r` stays in its line (the metrics strip trailing whitespace).
public enum TextLines {
    public static func read(path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw exists ? TextFileError.unreadable(path: path) : TextFileError.missing(path: path)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw TextFileError.notUTF8(path: path)
        }
        return split(text)
    }

    /// `text` cut into lines at `\n`.
    public static func split(_ text: String) -> [String] {
        // Split the UTF-8 bytes, not the Characters: Swift treats "\r\n" as one Character.
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(Substring($0)) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
