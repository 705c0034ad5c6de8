import Seq2Seq

/// `align --memory`: the raw weightings of a model with an external memory over its slots, for
/// every sentence pair: the write weighting at each source step (`000001.write.csv`, the rows the
/// source words and `</s>`) and each read head's weighting at each target step
/// (`000001.read.csv`, or `read1`, `read2`, … with several heads; the rows the target words and
/// `</s>`), the columns the slots `0 … N − 1`. Graves et al. 2014 draw these in figures 4 and 6.
enum MemoryWeightingsDump {
    /// The model, if it has a memory, and the output settings `--memory` can use.
    /// - Throws: `CommandError.usage` for a model without a memory, `--layer`/`--head`, the
    ///   Pharaoh format (links join words, not slots) and `--out -` (there are several outputs).
    static func check(_ model: any Seq2SeqModel, format: AlignmentFormat, out: String, layer: String?, head: String?)
        throws -> any MemoryAddressingModel {
        guard let memoryModel = model as? any MemoryAddressingModel else {
            throw CommandError.usage("--memory is for models with an external memory; this model has none")
        }
        if layer != nil || head != nil { throw CommandError.usage("--memory writes every head's weightings: leave out --layer and --head") }
        if format == .pharaoh { throw CommandError.usage("--memory writes weightings over memory slots: csv, long or svg, not pharaoh") }
        if out == "-" { throw CommandError.usage("--memory writes several files (write and read weightings): --out cannot be -") }
        return memoryModel
    }

    /// Writes the weightings of every pair; returns the suffixes written.
    /// - Parameters: - sources, targets: the pairs' tokens (without `</s>`). - encode: tokens to ids, per side.
    static func write(_ model: any MemoryAddressingModel, sources: [[String]], targets: [[String]],
                      encode: (source: ([String]) -> [Int], target: ([String]) -> [Int]),
                      format: AlignmentFormat, out: String) throws -> [String] {
        let heads = model.readHeadCount
        let suffixes = ["write"] + (heads == 1 ? ["read"] : (1...heads).map { "read\($0)" })
        let slots = (0..<model.memorySlots).map(String.init)
        let outputs = try suffixes.map { suffix in
            try AlignmentOutput(format: format, path: out, suffix: suffix,
                                axes: HeatmapAxes(columns: "slot", rows: suffix == "write" ? "source" : "target"))
        }
        let batchSize = 64
        for start in stride(from: 0, to: sources.count, by: batchSize) {
            let range = start..<min(start + batchSize, sources.count)
            let batch = Batch(sources: range.map { encode.source(sources[$0]) }, targets: range.map { encode.target(targets[$0]) })
            for (i, weightings) in zip(range, model.memoryWeightings(batch)) {
                try outputs[0].append(AttentionMatrix(sourceTokens: slots, targetTokens: sources[i] + ["</s>"], rows: weightings.write))
                for (output, read) in zip(outputs.dropFirst(), weightings.read) {
                    try output.append(AttentionMatrix(sourceTokens: slots, targetTokens: targets[i] + ["</s>"], rows: read))
                }
            }
        }
        for output in outputs { try output.finish() }
        return suffixes
    }
}
