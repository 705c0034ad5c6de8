import Foundation
import Seq2Seq

/// Everything `attend train` was asked to do, saved as `run.json` in the run folder so that
/// `--resume` continues with the same data, model and schedule.
///
/// `run.json` keeps the data and training settings at its top level, under the names it has
/// always used, and the model as `"model": {"arch": …, "config": {…}}`, as checkpoints do.
struct TrainSettings: Codable {
    var data: DataSettings
    var model: ModelConfiguration
    var training: TrainingOptions
    var subwords = SubwordSettings()

    /// Reads the data, model and training options; fails on anything left over, naming the
    /// architecture an option belongs to when it is another's.
    init(_ arguments: inout Arguments) throws {
        var dataOptions = DataOptions()
        try arguments.read(DataOptions.options, into: &dataOptions)
        try arguments.read(SubwordSettings.options, into: &subwords)
        try subwords.validate()
        var choice = ArchitectureChoice()
        try arguments.read(ArchitectureChoice.options, into: &choice)
        let architecture = try choice.architecture()
        do {
            model = try architecture.configuration(variant: choice.name) { try arguments.value($0.name, isFlag: $0.valueName == nil) }
        } catch let error as OptionError { throw CommandError.usage("\(error)") }
        training = TrainingOptions()
        for setting in architecture.trainingDefaults {
            guard let option = TrainingOptions.options.first(where: { $0.name == setting.name }) else { continue }
            try option.apply(&training, setting.value)
        }
        try arguments.read(TrainingOptions.options, into: &training)
        data = try dataOptions.resolved()
        if training.guidedAlignment == "" {
            guard let folder = data.corpusFolder else {
                throw CommandError.usage("--guided-alignment needs a FILE when the corpus is not a --data folder")
            }
            training.guidedAlignment = (folder as NSString).appendingPathComponent("train.align")
        }
        if let extra = arguments.firstUnread, extra.hasPrefix("--"),
           let owner = Architecture.all.first(where: { $0.options.contains { "--\($0.name)" == extra } }) {
            throw CommandError.usage("\(extra) is for \(owner.audience), not --arch \(choice.name)")
        }
        try validate()
    }

    func validate() throws {
        if let problem = model.problem ?? training.problem() { throw CommandError.usage(problem) }
    }

    mutating func setVocabularySizes(source: Int, target: Int) {
        model.setVocabularySizes(source: source, target: target)
    }

    private enum CodingKeys: String, CodingKey { case model, subwords }

    func encode(to encoder: Encoder) throws {
        try data.encode(to: encoder)
        try training.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        if subwords.isOn { try container.encode(subwords, forKey: .subwords) }
    }

    init(from decoder: Decoder) throws {
        data = try DataSettings(from: decoder)
        training = try TrainingOptions(from: decoder)
        model = try Self.decodeModel(from: decoder)
        subwords = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(SubwordSettings.self, forKey: .subwords) ?? SubwordSettings()
    }

    /// The model of a `run.json`. Files written before the architecture registry held `model`
    /// (the configuration of the first registered architecture, the RNN) and, for another
    /// architecture, its configuration under its own name (`"transformer": {…}`).
    private static func decodeModel(from decoder: Decoder) throws -> ModelConfiguration {
        let container = try decoder.container(keyedBy: AnyKey.self)
        if try container.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("model")).contains(AnyKey("arch")) {
            return try container.decode(ModelConfiguration.self, forKey: AnyKey("model"))
        }
        for architecture in Architecture.all where container.contains(AnyKey(architecture.name)) {
            return try ModelConfiguration(legacy: architecture, from: container.superDecoder(forKey: AnyKey(architecture.name)))
        }
        guard let first = Architecture.all.first else { throw CommandError.failure("no architecture is registered") }
        return try ModelConfiguration(legacy: first, from: container.superDecoder(forKey: AnyKey("model")))
    }
}

/// `--arch`: which registered architecture, by one of its variants' names.
struct ArchitectureChoice {
    var name = Architecture.defaultVariant

    static var options: [Option<ArchitectureChoice>] {
        let families = Architecture.all.map { "\($0.variants.map(\.name).joined(separator: ", ")): \($0.title)" }
        return [.text("arch", \.name, valueName: Architecture.variantNames.joined(separator: "|"),
                      help: "the model: " + families.joined(separator: "; ") + " (options below)")]
    }

    func architecture() throws -> Architecture {
        guard let architecture = Architecture.named(variant: name) else {
            throw CommandError.usage("--arch must be \(choiceList(Architecture.variantNames)), not '\(name)'")
        }
        return architecture
    }
}

/// A coding key of any name.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { nil }
}
