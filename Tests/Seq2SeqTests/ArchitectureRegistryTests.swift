import Autograd
import Foundation
import Seq2Seq
import XCTest

/// The registries of architectures and attention variants, and the option tables they declare:
/// every entry resolves by its name, builds, round-trips through a checkpoint's `{arch, config}`,
/// and shows the defaults it really has.
final class ArchitectureRegistryTests: XCTestCase {
    private func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func testNamesAreUniqueAndResolve() {
        let names = Architecture.all.map(\.name), variants = Architecture.variantNames
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(Set(variants).count, variants.count, "one --arch value, one architecture")
        XCTAssertTrue(variants.contains(Architecture.defaultVariant))
        for architecture in Architecture.all {
            XCTAssertEqual(Architecture.named(architecture.name)?.name, architecture.name)
            for variant in architecture.variants { XCTAssertEqual(Architecture.named(variant: variant.name)?.name, architecture.name) }
        }
        let kinds = AttentionKind.allCases.map(\.rawValue)
        XCTAssertEqual(Set(kinds).count, kinds.count)
        for kind in AttentionKind.allCases { XCTAssertEqual(AttentionKind(rawValue: kind.rawValue), kind) }
        XCTAssertNil(AttentionKind(rawValue: "sideways"))
    }

    /// Every variant with no option given builds a model whose checkpoint configuration names
    /// it, and which decodes back to the same JSON.
    func testEveryVariantBuildsAndRoundTrips() throws {
        for architecture in Architecture.all {
            for variant in architecture.variants {
                var configuration = try architecture.configuration(variant: variant.name) { _ in nil }
                configuration.setVocabularySizes(source: 9, target: 11)
                XCTAssertNil(configuration.problem, variant.name)
                var generator = SeededGenerator(seed: 1)
                let model = configuration.makeModel(generator: &generator)
                XCTAssertEqual(model.modelConfiguration.architecture, architecture.name)
                let stored = try model.modelConfiguration.json()
                XCTAssertTrue(stored.hasPrefix("{\"arch\":\"\(architecture.name)\",\"config\":{"), stored)
                XCTAssertEqual(try ModelConfiguration(json: stored).json(), stored, variant.name)
                XCTAssertEqual(try configuration.json(), stored, variant.name)
            }
        }
    }

    /// What checkpoints before the registry stored: the configuration under the architecture's name.
    func testTheFormBeforeTheRegistryStillDecodes() throws {
        var rnn = RNNConfiguration(cell: .lstm)
        rnn.attention = .luongConcat
        let old = "{\"arch\":\"rnn\",\"rnn\":\(try json(rnn))}"
        let decoded = try ModelConfiguration(json: old)
        XCTAssertEqual(decoded.configuration as? RNNConfiguration, rnn)
        XCTAssertEqual(try decoded.json(), "{\"arch\":\"rnn\",\"config\":\(try json(rnn))}")
        XCTAssertThrowsError(try ModelConfiguration(json: "{\"arch\":\"conv\",\"config\":{}}")) { error in
            XCTAssertEqual(error as? ModelConfigurationError, .unknownArchitecture("conv"))
        }
    }

    /// The default an option's help shows is the value the settings have: given back as the
    /// option's value, it changes nothing (defaults shown as prose, such as `4 × model-dim`, are
    /// not values and are skipped).
    func testShownDefaultsAreTheDefaults() throws {
        func check<Settings: Encodable>(_ options: [Option<Settings>], _ defaults: Settings, _ label: String) throws {
            var checked = 0
            for option in options where !option.isFlag {
                guard let text = option.defaultText(defaults) else { continue }
                var settings = defaults
                guard (try? option.apply(&settings, text)) != nil else { continue }
                XCTAssertEqual(try json(settings), try json(defaults), "\(label) --\(option.name) \(text)")
                checked += 1
            }
            XCTAssertGreaterThan(checked, 0, label)
        }
        try check(TrainingOptions.options, TrainingOptions(), "training")
        XCTAssertEqual(TrainingOptions.options.first { $0.name == "best-metric" }?.defaultText(TrainingOptions()), "exact")
        for architecture in Architecture.all {
            for variant in architecture.variants {
                let shown = Dictionary(uniqueKeysWithValues: architecture.options.map { ($0.name, $0.defaultText) })
                let defaults = try architecture.configuration(variant: variant.name) { _ in nil }
                for option in architecture.options where !option.name.isEmpty {
                    guard let text = shown[option.name] ?? nil, option.valueName != nil else { continue }
                    guard let given = try? architecture.configuration(variant: variant.name, value: { $0.name == option.name ? text : nil }) else { continue }
                    XCTAssertEqual(try given.json(), try defaults.json(), "\(variant.name) --\(option.name) \(text)")
                }
            }
        }
    }

    /// An architecture's preferred training settings name training options and parse.
    func testTrainingDefaultsNameTrainingOptions() throws {
        for architecture in Architecture.all {
            for setting in architecture.trainingDefaults {
                let option = try XCTUnwrap(TrainingOptions.options.first { $0.name == setting.name }, "\(architecture.name): --\(setting.name)")
                var options = TrainingOptions()
                XCTAssertNoThrow(try option.apply(&options, setting.value))
            }
        }
    }

    func testOptionsReportBadValuesAndRefuseMeaninglessOnes() {
        XCTAssertThrowsError(try Architecture.rnn.configuration(variant: "gru") { $0.name == "layers" ? "two" : nil }) { error in
            XCTAssertEqual("\(error)", "--layers expects an integer, got 'two'")
        }
        XCTAssertThrowsError(try Architecture.rnn.configuration(variant: "gru") { $0.name == "attention" ? "sideways" : nil }) { error in
            XCTAssertTrue("\(error)".hasPrefix("--attention must be one of none, bahdanau, "), "\(error)")
        }
        XCTAssertThrowsError(try Architecture.rnn.configuration(variant: "gru") { $0.name == "window" ? "3" : nil }) { error in
            XCTAssertEqual("\(error)", "--window applies to local-m and local-p")
        }
        // The table's order, not the caller's: --attention is applied before --window.
        let local = try? Architecture.rnn.configuration(variant: "lstm") { ["window": "3", "attention": "local-m"][$0.name] }
        XCTAssertEqual((local?.configuration as? RNNConfiguration)?.window, 3)
        let widths = try? Architecture.transformer.configuration(variant: "transformer") { ["model-dim": "32"][$0.name] }
        XCTAssertEqual((widths?.configuration as? TransformerConfiguration)?.feedForwardWidth, 128, "4 × model-dim")
    }

    /// An option group declared once serves every settings type that holds it.
    func testLiftedOptionsReadAndShowThroughTheirPath() throws {
        struct Inner { var depth = 3 }
        struct Outer { var inner = Inner(); var name = "x" }
        let option = Option<Inner>.integer("depth", \.depth, help: "how deep").lifted(\Outer.inner)
        var outer = Outer()
        XCTAssertEqual(option.defaultText(outer), "3")
        try option.apply(&outer, "7")
        XCTAssertEqual(outer.inner.depth, 7)
        XCTAssertEqual(option.description(defaults: Outer()), OptionDescription(name: "depth", valueName: "N", defaultText: "3", help: "how deep"))
    }

    /// Models say how many attentions they have, and any one of them can be asked for.
    func testModelsListTheirAttentions() {
        var generator = SeededGenerator(seed: 2)
        var transformer = TransformerConfiguration()
        (transformer.layers, transformer.heads, transformer.modelWidth, transformer.feedForwardWidth) = (3, 2, 8, 16)
        (transformer.sourceVocabularySize, transformer.targetVocabularySize) = (9, 9)
        var rnn = RNNConfiguration()
        (rnn.embeddingWidth, rnn.hiddenWidth, rnn.sourceVocabularySize, rnn.targetVocabularySize) = (4, 8, 9, 9)
        var none = rnn
        none.attention = .none
        let models: [(any Seq2SeqModel, Int, Int)] = [
            (transformer.makeModel(generator: &generator), 3, 2), (rnn.makeModel(generator: &generator), 1, 1),
            (none.makeModel(generator: &generator), 0, 1),
        ]
        let batch = Batch(sources: [[4, 5, 6], [7]], targets: [[8, 4], [5, 6, 7]])
        for (model, layers, heads) in models {
            XCTAssertEqual(model.attentionLayers, layers)
            XCTAssertEqual(model.attentionHeads, heads)
            guard layers > 0 else { continue }
            let all = model.forcedAttention(batch, choices: (0..<layers).map { AttentionChoice(layer: $0) })
            XCTAssertEqual(all.count, layers)
            for (layer, matrices) in all.enumerated() {
                XCTAssertEqual(matrices.map(\.count), [3, 4], "rows: target words and </s>")
                XCTAssertEqual(matrices, model.forcedAttention(batch, layer: layer, head: nil), "one at a time, the same")
            }
        }
    }
}
