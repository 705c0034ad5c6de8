import Foundation

/// Writes the attention matrices of a corpus, one sentence at a time, in one ``AlignmentFormat``:
/// the entry point `attend align` calls.
///
/// ```swift
/// let output = try AlignmentOutput(format: .csv, path: "runs/align")
/// for matrix in matrices { try output.append(matrix) }    // runs/align/000001.csv, …
/// try output.finish()
/// // or, all at once:
/// try AlignmentOutput.write(matrices, format: .pharaoh, to: "align.txt")
/// ```
///
/// Sentences are numbered from 1 in the order they are appended. For `csv` and `svg` the path is
/// a folder, created when missing, and each sentence's file is complete as soon as ``append(_:)``
/// returns (each written atomically; files of an earlier run with the same names are replaced; others are left alone).
/// For `long` and `pharaoh` the path is one file, which appears only when ``finish()`` succeeds
/// (until then the text goes to a temporary file beside it: ``AtomicFile``), or `-` for standard output.
/// Every failure is thrown as an ``AlignmentOutputError`` whose description is one clear line.
public final class AlignmentOutput {
    /// The format written.
    public let format: AlignmentFormat
    /// The folder (`csv`, `svg`) or file (`long`, `pharaoh`; `-` for standard output) written,
    /// with the suffix already applied to a file's name.
    public let path: String
    /// Which attention the files hold (`layer2.head3`), or `""`.
    public let suffix: String
    /// What an SVG's captions call its columns and rows.
    public let axes: HeatmapAxes
    /// How many sentences have been appended.
    public private(set) var sentenceCount = 0

    private enum Destination {
        case folder
        case file(AtomicFile)
        case standardOutput
        case finished
    }
    private var destination: Destination

    /// Prepares to write: creates the folder, or opens the temporary file.
    ///
    /// - Parameters:
    ///   - format: the format to write.
    ///   - path: a folder for `csv` and `svg`; a file or `-` for `long` and `pharaoh`.
    ///   - suffix: which attention the files hold, such as `layer2.head3`, or `""`; it goes into
    ///     the file names as ``AlignmentFormat`` describes.
    ///   - axes: what an SVG's corner captions call the columns and rows (`source`, `target`).
    /// - Throws: ``AlignmentOutputError`` for an empty path, a bad suffix, `-` with a per-sentence
    ///   format, a path of the wrong kind, or a folder or file that cannot be created.
    public init(format: AlignmentFormat, path: String, suffix: String = "", axes: HeatmapAxes = .attention) throws {
        guard !path.isEmpty else { throw AlignmentOutputError.emptyPath }
        guard AlignmentFormat.isValidSuffix(suffix) else { throw AlignmentOutputError.invalidSuffix(suffix) }
        self.format = format
        self.suffix = suffix
        self.axes = axes
        if format.writesOneFilePerSentence {
            guard path != "-" else { throw AlignmentOutputError.standardOutputNotSupported(format) }
            self.path = path
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
                throw AlignmentOutputError.notAFolder(path: path)
            }
            try FolderCreation.createFolder(atPath: path)
            destination = .folder
        } else if path == "-" {
            self.path = path
            destination = .standardOutput
        } else {
            self.path = AlignmentFormat.path(path, withSuffix: suffix)
            destination = .file(try Self.openFile(self.path))
        }
        if format == .long { try emit(CSVAlignmentWriter.longHeader + "\n") }
    }

    /// Writes the next sentence's matrix.
    ///
    /// - Parameter matrix: `[T, S]` weights with their tokens, `</s>` included on both sides.
    /// - Throws: ``AlignmentOutputError`` when the file cannot be written, or after ``finish()``.
    public func append(_ matrix: AttentionMatrix) throws {
        if case .finished = destination { throw AlignmentOutputError.alreadyFinished(path: path) }
        sentenceCount += 1
        switch format {
        case .csv:
            try writeSentenceFile(CSVAlignmentWriter().matrixDocument(for: matrix))
        case .svg:
            let label = "sentence \(sentenceCount)" + (suffix.isEmpty ? "" : " · \(suffix)")
            try writeSentenceFile(SVGHeatmapWriter().document(for: matrix, title: label, axes: axes))
        case .long:
            try emit(CSVAlignmentWriter().longRows(for: matrix, sentence: sentenceCount))
        case .pharaoh:
            try emit(PharaohWriter().line(for: matrix) + "\n")
        }
    }

    /// Completes the output: moves a one-file format's file into place. Call it once, after the
    /// last ``append(_:)``; an output dropped without it leaves no one-file result behind.
    public func finish() throws {
        switch destination {
        case .file(let file):
            try Self.reporting(path) { try file.commit() }
        case .standardOutput:
            guard fflush(stdout) == 0 else {
                throw AlignmentOutputError.cannotWrite(path: "standard output", reason: FolderCreation.reason(forErrno: errno))
            }
        case .folder, .finished:
            break
        }
        destination = .finished
    }

    /// Writes `matrices` (sentences 1, 2, …) to `path` in `format`, all at once.
    ///
    /// - Throws: ``AlignmentOutputError``; a one-file output is then left untouched.
    public static func write(
        _ matrices: [AttentionMatrix], format: AlignmentFormat = .defaultFormat, to path: String, suffix: String = ""
    ) throws {
        let output = try AlignmentOutput(format: format, path: path, suffix: suffix)
        for matrix in matrices { try output.append(matrix) }
        try output.finish()
    }

    private func writeSentenceFile(_ text: String) throws {
        let file = path + "/" + format.fileName(sentence: sentenceCount, suffix: suffix)
        try Self.reporting(file) { try AtomicFile.write(Data(text.utf8), to: URL(fileURLWithPath: file)) }
    }

    /// An `AtomicFile` at `path`, its missing parent folders created.
    /// - Throws: ``AlignmentOutputError`` when `path` is a folder or cannot be written.
    private static func openFile(_ path: String) throws -> AtomicFile {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw AlignmentOutputError.isAFolder(path: path)
        }
        let url = URL(fileURLWithPath: path)
        try FolderCreation.createFolder(atPath: url.deletingLastPathComponent().path)
        return try reporting(path) { try AtomicFile(url) }
    }

    /// Runs `body`, turning an `AtomicFileError` into ``AlignmentOutputError/cannotWrite(path:reason:)``.
    private static func reporting<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as AtomicFileError {
            throw AlignmentOutputError.cannotWrite(path: path, reason: error.reason)
        }
    }

    private func emit(_ text: String) throws {
        switch destination {
        case .file(let file):
            try Self.reporting(path) { try file.append(text) }
        case .standardOutput:
            // C stdio, the buffer `print` uses too, so that the two never interleave out of order.
            let bytes = Array(text.utf8)
            guard fwrite(bytes, 1, bytes.count, stdout) == bytes.count else {
                throw AlignmentOutputError.cannotWrite(path: "standard output", reason: FolderCreation.reason(forErrno: errno))
            }
        case .folder, .finished:
            break
        }
    }
}

/// Why alignments could not be written; each description is one line for `error: …`.
public enum AlignmentOutputError: Error, Equatable, CustomStringConvertible {
    /// `--out` was empty.
    case emptyPath
    /// The suffix has characters that do not belong in a file name.
    case invalidSuffix(String)
    /// `-` was given for a format that writes one file per sentence.
    case standardOutputNotSupported(AlignmentFormat)
    /// A per-sentence format was given a path that is an existing file.
    case notAFolder(path: String)
    /// A one-file format was given a path that is an existing folder.
    case isAFolder(path: String)
    /// A folder could not be created; `reason` is the system's, such as "Permission denied".
    case cannotCreateFolder(path: String, reason: String)
    /// A file could not be written.
    case cannotWrite(path: String, reason: String)
    /// ``AlignmentOutput/append(_:)`` was called after ``AlignmentOutput/finish()``.
    case alreadyFinished(path: String)

    public var description: String {
        switch self {
        case .emptyPath:
            return "the alignment output path is empty"
        case .invalidSuffix(let suffix):
            return "alignment file suffix '\(suffix)' may only have letters, digits, '-', '_' and inner dots"
        case .standardOutputNotSupported(let format):
            return "format \(format.rawValue) writes one file per sentence into a folder, so it cannot go to '-' "
                + "(use long or pharaoh for standard output)"
        case .notAFolder(let path):
            return "cannot write alignments into '\(path)': it is a file, and this format needs a folder"
        case .isAFolder(let path):
            return "cannot write alignments to '\(path)': it is a folder, and this format needs a file name"
        case let .cannotCreateFolder(path, reason):
            return "cannot create folder '\(path)': \(reason)"
        case let .cannotWrite(path, reason):
            return "cannot write '\(path)': \(reason)"
        case .alreadyFinished(let path):
            return "alignment output '\(path)' is already finished"
        }
    }
}
