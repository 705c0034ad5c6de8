import Foundation

/// Why a corpus could not be loaded (beyond `TextFileError`): each case renders as the one
/// line the CLI prints.
public enum CorpusError: Error, CustomStringConvertible, Equatable {
    case lineCountMismatch(sourcePath: String, sourceLines: Int, targetPath: String, targetLines: Int)
    case missingTab(path: String, line: Int)
    case empty(path: String)
    case blank(path: String)

    public var description: String {
        switch self {
        case .lineCountMismatch(let s, let n, let t, let m): "corpus \(s) has \(n) lines but \(t) has \(m)"
        case .missingTab(let path, let line): "\(path):\(line) has no tab between source and target"
        case .empty(let path): "\(path) holds no sentence pairs"
        case .blank(let path): "every line of \(path) is blank: it holds no sentences"
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
        let sources = try TextLines.read(path: sourcePath), targets = try TextLines.read(path: targetPath)
        guard sources.count == targets.count else {
            throw CorpusError.lineCountMismatch(sourcePath: sourcePath, sourceLines: sources.count,
                                                targetPath: targetPath, targetLines: targets.count)
        }
        guard !sources.isEmpty else { throw CorpusError.empty(path: sourcePath) }
        return try ParallelCorpus(sources: sources.map(tokenize), targets: targets.map(tokenize))
            .checkedNotBlank(sourcePath: sourcePath, targetPath: targetPath)
    }

    /// `source<TAB>target` per line.
    public static func load(tsvPath: String) throws -> ParallelCorpus {
        var corpus = ParallelCorpus(sources: [], targets: [])
        for (number, line) in try TextLines.read(path: tsvPath).enumerated() {
            guard let tab = line.firstIndex(of: "\t") else { throw CorpusError.missingTab(path: tsvPath, line: number + 1) }
            corpus.sources.append(tokenize(String(line[..<tab])))
            corpus.targets.append(tokenize(String(line[line.index(after: tab)...])))
        }
        guard corpus.count > 0 else { throw CorpusError.empty(path: tsvPath) }
        return try corpus.checkedNotBlank(sourcePath: tsvPath, targetPath: tsvPath)
    }

    /// The corpus, unless every source or every target is empty (a file of blank lines).
    private func checkedNotBlank(sourcePath: String, targetPath: String) throws -> ParallelCorpus {
        if sources.allSatisfy(\.isEmpty) { throw CorpusError.blank(path: sourcePath) }
        if targets.allSatisfy(\.isEmpty) { throw CorpusError.blank(path: targetPath) }
        return self
    }

    /// Whitespace tokens (a `\r` left by CRLF line ends counts as whitespace).
    public static func tokenize(_ line: String) -> [String] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\r\n" }).map(String.init)
    }
}
