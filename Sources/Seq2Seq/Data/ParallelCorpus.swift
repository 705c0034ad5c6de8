import Foundation

/// Why a corpus could not be loaded: each case renders as the one line the CLI prints.
public enum CorpusError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case notUTF8(path: String)
    case lineCountMismatch(sourcePath: String, sourceLines: Int, targetPath: String, targetLines: Int)
    case missingTab(path: String, line: Int)
    case empty(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read \(path)"
        case .notUTF8(let path): "\(path) is not valid UTF-8"
        case .lineCountMismatch(let s, let n, let t, let m): "corpus \(s) has \(n) lines but \(t) has \(m)"
        case .missingTab(let path, let line): "\(path):\(line) has no tab between source and target"
        case .empty(let path): "\(path) holds no sentence pairs"
        }
    }
}

/// Sentence pairs, tokenised on whitespace.
public struct ParallelCorpus: Sendable {
    public var sources: [[String]]
    public var targets: [[String]]

    public init(sources: [[String]], targets: [[String]]) {
        self.sources = sources
        self.targets = targets
    }

    public var count: Int { sources.count }

    /// Line `i` of `sourcePath` with line `i` of `targetPath`.
    public static func load(sourcePath: String, targetPath: String) throws -> ParallelCorpus {
        let sources = try lines(sourcePath), targets = try lines(targetPath)
        guard sources.count == targets.count else {
            throw CorpusError.lineCountMismatch(sourcePath: sourcePath, sourceLines: sources.count,
                                                targetPath: targetPath, targetLines: targets.count)
        }
        guard !sources.isEmpty else { throw CorpusError.empty(path: sourcePath) }
        return ParallelCorpus(sources: sources.map(tokenize), targets: targets.map(tokenize))
    }

    /// `source<TAB>target` per line.
    public static func load(tsvPath: String) throws -> ParallelCorpus {
        var corpus = ParallelCorpus(sources: [], targets: [])
        for (number, line) in try lines(tsvPath).enumerated() {
            guard let tab = line.firstIndex(of: "\t") else { throw CorpusError.missingTab(path: tsvPath, line: number + 1) }
            corpus.sources.append(tokenize(String(line[..<tab])))
            corpus.targets.append(tokenize(String(line[line.index(after: tab)...])))
        }
        guard corpus.count > 0 else { throw CorpusError.empty(path: tsvPath) }
        return corpus
    }

    /// The lines of a UTF-8 file: split at `\n`, a trailing `\r` dropped, no final empty line.
    public static func lines(_ path: String) throws -> [String] {
        // A FileHandle also reads pipes and process substitutions (`<(…)`), which
        // `FileManager.contents(atPath:)` does not.
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
              let handle = FileHandle(forReadingAtPath: path),
              let data = try? handle.readToEnd() ?? Data() else { throw CorpusError.unreadable(path: path) }
        guard let text = String(data: data, encoding: .utf8) else { throw CorpusError.notUTF8(path: path) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Whitespace tokens.
    public static func tokenize(_ line: String) -> [String] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }
}
