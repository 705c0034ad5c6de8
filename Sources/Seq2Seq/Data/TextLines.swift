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
        // A FileHandle also reads pipes and process substitutions (`<(…)`), which
        // `FileManager.contents(atPath:)` does not.
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw TextFileError.missing(path: path) }
        guard !isFolder.boolValue, let handle = FileHandle(forReadingAtPath: path),
              let data = try? handle.readToEnd() ?? Data() else { throw TextFileError.unreadable(path: path) }
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
