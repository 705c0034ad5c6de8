import Foundation
import Seq2Seq

/// `attend bpe learn|apply|undo`: byte-pair-encoding merges learned from text, text segmented
/// into subword pieces with them, and pieces joined back (subword-nmt's `learn-bpe`,
/// `apply-bpe` and `sed 's/@@ //g'`).
enum BPECommand: Subcommand {
    static let name = "bpe"
    static let summary = "learn subword merges (byte-pair encoding), segment text with them, join it back"
    static var usage: String {
        """
        usage: attend bpe learn --input FILE [FILE…] --merges N --out CODES [--min-frequency F]
               attend bpe apply --codes CODES [--input FILE]      segments stdin (or FILE) to stdout
               attend bpe undo [--input FILE]                     joins pieces back: every '@@ ' removed

        learn (Sennrich et al. 2016): counts the whitespace-separated words of every --input, starts
        each as its characters with the last marked </w>, and merges the most frequent adjacent pair
        N times (ties: the pair first in byte order). Several --input files make one joint set of
        merges (source and target together); for separate ones, run learn once per side.
        \(OptionHelp.lines(Settings.options, defaults: Settings()))
        apply writes each word as its pieces, '@@' on all but the last ('lo@@ wer'), keeping the
        spaces between words; undo gives the original text back (text that itself holds '@@ ' does not).
        """
    }

    struct Settings {
        var inputs = [String]()
        var merges: Int?
        var out: String?
        var codes: String?
        var minimumFrequency = 2

        static let options: [Option<Settings>] = [
            Option("input", valueName: "FILE", help: "text to learn from (learn: one or more), or to read instead of stdin",
                   defaultText: { _ in nil }) { settings, text in settings.inputs.append(text) },
            .integer("merges", \.merges, help: "learn: how many merges (the subword vocabulary grows by one per merge)"),
            .text("out", \.out, valueName: "CODES", help: "learn: the codes file to write (subword-nmt's format)"),
            .integer("min-frequency", \.minimumFrequency, valueName: "F", help: "learn: stop early when no pair occurs F times"),
            .text("codes", \.codes, valueName: "CODES", help: "apply: the codes file"),
        ]
    }

    static func run(_ arguments: inout Arguments) throws {
        guard let action = arguments.positional() else { throw CommandError.usage("missing action: learn, apply or undo") }
        var settings = Settings()
        // `--input a --input b` or `--input a b`: every value and every file name after it.
        while let input = try arguments.string("input") { settings.inputs.append(input) }
        try arguments.read(Settings.options, into: &settings)
        while let extra = arguments.positional() { settings.inputs.append(extra) }
        try arguments.finish()
        switch action {
        case "learn": try learn(settings)
        case "apply":
            guard let codesPath = settings.codes else { throw CommandError.usage("bpe apply needs --codes CODES") }
            let codes = try readCodes(codesPath)
            var cache = [Substring: String]()
            try transform(settings) { codes.segment(line: $0, cache: &cache) }
        case "undo": try transform(settings, BPECodes.join(line:))
        default: throw CommandError.usage("unknown action '\(action)' (expected learn, apply or undo)")
        }
    }

    private static func learn(_ settings: Settings) throws {
        guard !settings.inputs.isEmpty else { throw CommandError.usage("bpe learn needs --input FILE") }
        guard let merges = settings.merges, merges >= 1 else { throw CommandError.usage("bpe learn needs --merges N, N ≥ 1") }
        guard let out = settings.out else { throw CommandError.usage("bpe learn needs --out CODES") }
        guard settings.minimumFrequency >= 1 else { throw CommandError.usage("--min-frequency must be at least 1") }
        let start = monotonicSeconds()
        var lines = [String]()
        for input in settings.inputs { lines += try readLines(input) }
        var learner = BPELearner(wordCounts: BPELearner.wordCounts(lines))
        let codes = learner.learn(merges: merges, minimumFrequency: settings.minimumFrequency)
        do { try AtomicFile.write(Data(codes.text.utf8), to: URL(fileURLWithPath: out)) } catch {
            throw CommandError.failure("cannot write \(out): \(error)")
        }
        let stop = codes.merges.count < merges ? " (no pair occurs \(settings.minimumFrequency) times after that)" : ""
        standardError("attend: learned \(codes.merges.count) merges\(stop) from \(lines.count) lines in "
                      + String(format: "%.2f", monotonicSeconds() - start) + " s; wrote \(out)")
    }

    /// Every line of `--input` (or stdin) through `line`, to stdout.
    private static func transform(_ settings: Settings, _ line: (String) -> String) throws {
        guard settings.inputs.count <= 1 else { throw CommandError.usage("apply and undo read one --input (or stdin)") }
        var output = ""
        for text in try readLines(settings.inputs.first) {
            output += line(text) + "\n"
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}

/// The codes file at `path`, or one error line.
func readCodes(_ path: String) throws -> BPECodes {
    do { return try BPECodes(text: try TextLines.read(path: path).joined(separator: "\n"), name: path) } catch {
        throw CommandError.failure("\(error)")
    }
}
