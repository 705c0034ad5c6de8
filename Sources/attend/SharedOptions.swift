import Seq2Seq

/// Options several subcommands take, each group declared once and lifted into every command's
/// settings with `Option.lifted(_:)`, so that its name, default, help and parsing stay in one place.

/// The checkpoint `translate`, `align` and `eval` read: `--model CHECKPOINT`.
struct CheckpointSetting {
    var path: String?

    static let options: [Option<CheckpointSetting>] = [
        .text("model", \.path, valueName: "CHECKPOINT", help: "a checkpoint written by attend train (best.safetensors)"),
    ]

    /// The path, or a usage error naming the option.
    func required() throws -> String {
        guard let path else { throw CommandError.usage("--model is required") }
        return path
    }
}

/// How the engine runs, for every command that runs a model (`train`, `translate`, `align`,
/// `eval`, `bench train`). Empty for now: an engine-wide option such as `--precision
/// auto|fp32|bf16` is declared here, once, and set up in `apply()`.
struct EngineSettings {
    static let options: [Option<EngineSettings>] = []

    /// Sets the engine up before a command runs a model.
    func apply() throws {}
}
