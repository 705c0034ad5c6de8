/// `attend eval`: placeholder until the metrics land.
enum EvalCommand: Subcommand {
    static let name = "eval"
    static let summary = "score translations (BLEU, chrF, exact match) and alignments (AER)"
    static let usage = "usage: attend eval --hyp FILE --ref FILE"
    static func run(_ arguments: inout Arguments) throws { throw CommandError.failure("not implemented yet") }
}
