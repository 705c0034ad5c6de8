import Autograd

/// A Neural Turing Machine (Graves et al. 2014, "Neural Turing Machines") as a sequence-to-
/// sequence model: an LSTM controller with an external memory `[B, N, M]` that it reads and
/// writes through soft heads. One step, with `x_t` the embedded token:
///
///     (h_t, c_t) = LSTM([x_t; r_{t−1}], (h_{t−1}, c_{t−1}))
///     w^w_t, w^r_t = address(heads(h_t), M_{t−1}, w_{t−1})       (§3.3, `HeadParameters.address`)
///     M_t = M_{t−1} ∘ (1 − w^w_t e_tᵀ) + w^w_t a_tᵀ                 (§3.2, one write head)
///     r_t = M_tᵀ w^r_t                                              (§3.1, one per read head)
///     output_t = [h_t; r_t]        logits = W_o output_t + b_o
///
/// Every head addresses the memory as it stood before the step's write; the reads see the
/// write (the paper's `r_t` reads `M_t`). As a seq2seq model the machine first reads the source
/// tokens and `</s>` through the source embedding, writing as it goes, then reads `<s> y₁ …`
/// through the target embedding and emits `y₁ … </s>` (teacher-forced in training; greedy and
/// beam search through `step`). Both phases run the same controller and heads: which embedding
/// the token comes from tells it which phase it is in.
///
/// The start is fixed, not learned, and the same for every sentence: `M_0 = 10⁻⁶` in every
/// element (a small constant, which Collier & Beel 2018, "Implementing Neural Turing Machines",
/// found the most reliable to train), every head's weighting on slot 0, `r_0 = M_0ᵀ w_0`, and a
/// zero controller state. A source row that has ended keeps its whole state through the padded
/// steps of its batch, so its encoding does not depend on the batch.
///
/// `step` returns an attention over the source derived from the heads (`sourceAttention`): row
/// `t` is how much what output step `t` read was written at each input step.
public final class NeuralTuringMachine: Seq2SeqModel {
    public let configuration: NTMConfiguration
    let sourceEmbedding: Embedding
    let targetEmbedding: Embedding
    let controller: RecurrentCell
    let readHeads: MemoryHeads
    let writeHead: MemoryHeads
    let output: Linear

    /// Every element of the memory before the first write.
    static let initialMemoryValue: Float = 1e-6

    public init(_ configuration: NTMConfiguration, generator: inout SeededGenerator) {
        let c = configuration
        self.configuration = c
        sourceEmbedding = Embedding(count: c.sourceVocabularySize, dimension: c.embeddingWidth,
                                    paddingIndex: SpecialToken.padding, generator: &generator)
        targetEmbedding = Embedding(count: c.targetVocabularySize, dimension: c.embeddingWidth,
                                    paddingIndex: SpecialToken.padding, generator: &generator)
        controller = RecurrentCell(kind: .lstm, inputSize: c.embeddingWidth + c.readHeads * c.memoryWidth, width: c.hiddenWidth,
                                   generator: &generator)
        readHeads = MemoryHeads(count: c.readHeads, controllerWidth: c.hiddenWidth, memoryWidth: c.memoryWidth,
                                shiftRange: c.shiftRange, writes: false, generator: &generator)
        writeHead = MemoryHeads(count: 1, controllerWidth: c.hiddenWidth, memoryWidth: c.memoryWidth,
                                shiftRange: c.shiftRange, writes: true, generator: &generator)
        output = Linear(inputSize: c.outputWidth, outputSize: c.targetVocabularySize, generator: &generator)
    }

    /// PyTorch's modules: `nn.Embedding` ×2, a one-layer `nn.LSTM`, `nn.Linear` ×3.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("source_embedding", sourceEmbedding) + prefixed("target_embedding", targetEmbedding)
            + controller.namedParameters(layer: 0, reverse: false).map { ("controller." + $0.name, $0.tensor) }
            + prefixed("read_heads", readHeads) + prefixed("write_head", writeHead) + prefixed("output", output)
    }

    public var modelConfiguration: ModelConfiguration { ModelConfiguration(architecture: Architecture.ntm.name, configuration) }
    /// One attention, the source attention derived from the heads, with a head per read head.
    public var attentionLayers: Int { 1 }
    public var attentionHeads: Int { configuration.readHeads }

    /// The machine between two steps.
    public struct DecoderState: DecodingState {
        /// `(h, c)`, `[B, H]` each.
        var controller: RecurrentState
        /// `M`, `[B, N, M]`.
        public internal(set) var memory: Tensor
        /// `w^r`, `[B, R, N]`.
        public internal(set) var readWeightings: Tensor
        /// `w^w`, `[B, 1, N]`.
        public internal(set) var writeWeighting: Tensor
        /// `r`, the read vectors side by side, `[B, R·M]`.
        var reads: Tensor
        /// The write weighting at each source step, `[B, S, N]` (zero rows on padding; not on
        /// the tape): what `sourceAttention` relates the reads to.
        public internal(set) var written: Tensor

        public func selecting(rows indices: [Int]) -> DecoderState {
            DecoderState(controller: controller.selecting(rows: indices), memory: memory.rows(indices),
                         readWeightings: readWeightings.rows(indices), writeWeighting: writeWeighting.rows(indices),
                         reads: reads.rows(indices), written: written.rows(indices))
        }

        /// Row by row, this state where `real` is 0 (a padded step) and `new` where it is 1.
        func keeping(where real: [Float], else new: DecoderState) -> DecoderState {
            func blend(_ old: Tensor, _ new: Tensor) -> Tensor {
                let mask = Tensor(shape: [real.count] + Array(repeating: 1, count: old.rank - 1), scalars: real)
                return old + mask * (new - old)
            }
            return DecoderState(controller: controller.blended(toward: new.controller, mask: Tensor(shape: [real.count, 1], scalars: real)),
                                memory: blend(memory, new.memory), readWeightings: blend(readWeightings, new.readWeightings),
                                writeWeighting: blend(writeWeighting, new.writeWeighting), reads: blend(reads, new.reads),
                                written: written)
        }
    }

    /// The fixed start (see the type's comment), for `batch` rows.
    func initialState(batch: Int) -> DecoderState {
        let c = configuration
        let memory = Tensor(shape: [batch, c.memorySlots, c.memoryWidth], repeating: Self.initialMemoryValue)
        func onFirstSlot(_ heads: Int) -> Tensor {
            let w = Tensor.zeros([batch, heads, c.memorySlots])
            for row in 0..<batch * heads { w.data[row * c.memorySlots] = 1 }
            return w
        }
        return DecoderState(controller: .zeros(kind: .lstm, batch: batch, width: c.hiddenWidth), memory: memory,
                            readWeightings: onFirstSlot(c.readHeads), writeWeighting: onFirstSlot(1),
                            reads: Tensor(shape: [batch, c.readHeads * c.memoryWidth], repeating: Self.initialMemoryValue),
                            written: .zeros([batch, 0, c.memorySlots]))
    }

    /// One step of the machine (the type's comment).
    /// - Parameter embedded: `x_t`, `[B, E]`.
    /// - Returns: `[h_t; r_t]`, `[B, H + R·M]`, and the next state (its `written` unchanged).
    func advance(_ embedded: Tensor, _ state: DecoderState) -> (output: Tensor, state: DecoderState) {
        let c = configuration, batch = embedded.shape[0]
        let input = Tensor.concat([embedded, state.reads], axis: 1)
        let recurrent = controller.step(inputGates: controller.inputGates(input), state: state.controller)
        let (writing, emitted) = writeHead(recurrent.hidden)
        let (erase, add) = writeHead.writeVectors(emitted)
        let (reading, _) = readHeads(recurrent.hidden)
        let writeWeighting = writing.address(memory: state.memory, previous: state.writeWeighting)
        let readWeightings = reading.address(memory: state.memory, previous: state.readWeightings)
        let memory = Tensor.memoryWrite(memory: state.memory, weighting: writeWeighting.reshaped([batch, c.memorySlots]),
                                        erase: erase.reshaped([batch, c.memoryWidth]), add: add.reshaped([batch, c.memoryWidth]))
        let reads = readWeightings.batchedMatmul(memory).reshaped([batch, c.readHeads * c.memoryWidth])
        let next = DecoderState(controller: recurrent, memory: memory, readWeightings: readWeightings,
                                writeWeighting: writeWeighting, reads: reads, written: state.written)
        return (Tensor.concat([recurrent.hidden, reads], axis: 1), next)
    }

    /// Reads the source and its `</s>`, writing as it goes.
    public func encode(source: [Int], lengths: [Int], context: inout ForwardContext) -> DecoderState {
        let c = configuration, batch = lengths.count, length = source.count / batch
        var state = initialState(batch: batch)
        let written = Tensor.zeros([batch, length, c.memorySlots])
        for t in 0..<length {
            let (_, stepped) = advance(sourceEmbedding((0..<batch).map { source[$0 * length + t] }, shape: [batch]), state)
            let real = lengths.map { Float(t < $0 ? 1 : 0) }
            state = real.contains(0) ? state.keeping(where: real, else: stepped) : stepped
            for b in 0..<batch where real[b] == 1 {
                (written.data + (b * length + t) * c.memorySlots).update(from: stepped.writeWeighting.data + b * c.memorySlots,
                                                                         count: c.memorySlots)
            }
        }
        state.written = written
        return state
    }

    /// One output step; the weights are the source attention averaged over the read heads, `[B, S]`.
    public func step(tokens: [Int], state: DecoderState, context: inout ForwardContext)
        -> (output: Tensor, weights: Tensor?, state: DecoderState) {
        let (output, next) = advance(targetEmbedding(tokens, shape: [tokens.count]), state)
        let perHead = Self.sourceAttention(reading: next.readWeightings, written: state.written)  // [B, R, S]
        return (output, perHead.mean(axis: 1), next)
    }

    public func logits(_ outputs: Tensor) -> Tensor { output(outputs) }

    /// Outputs `[B, T, H + R·M]`, step by step with the reference target fed in.
    public func teacherForcedOutputs(_ batch: Batch, context: inout ForwardContext) -> Tensor {
        var state = encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
        var outputs = [Tensor]()
        for t in 0..<batch.targetLength {
            let (out, next) = advance(targetEmbedding((0..<batch.size).map { batch.targetInput[$0 * batch.targetLength + t] },
                                                      shape: [batch.size]), state)
            outputs.append(out)
            state = next
        }
        return Tensor.stack(outputs, axis: 1)
    }

    /// Each read head's source attention (`attentionHeads` = R), or their mean.
    public func forcedAttention(_ batch: Batch, choices: [AttentionChoice]) -> [[[[Float]]]] {
        let traces = forcedTraces(batch)
        let heads = configuration.readHeads, (t, s) = (batch.targetLength, batch.sourceLength)
        let weights = Tensor.zeros([batch.size, heads, t, s])  // [B, R, T, S]
        for (step, attention) in traces.attention.enumerated() {
            for row in 0..<batch.size * heads {
                (weights.data + (row * t + step) * s).update(from: attention.data + row * s, count: s)
            }
        }
        return choices.map { attentionRows([weights], batch: batch, choice: $0) }
    }

    /// Forced decoding of the batch's targets: per target step, the read weightings
    /// `[B, R, N]` and the source attention `[B, R, S]`, and the write weightings of the source
    /// steps `[B, S, N]`.
    func forcedTraces(_ batch: Batch) -> (reads: [Tensor], attention: [Tensor], written: Tensor) {
        inference {
            var context = ForwardContext.inference
            var state = encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
            var reads = [Tensor](), attention = [Tensor]()
            for t in 0..<batch.targetLength {
                let tokens = (0..<batch.size).map { batch.targetInput[$0 * batch.targetLength + t] }
                let (_, next) = advance(targetEmbedding(tokens, shape: [batch.size]), state)
                reads.append(next.readWeightings)
                attention.append(Self.sourceAttention(reading: next.readWeightings, written: state.written))
                state = next
            }
            return (reads, attention, state.written)
        }
    }

    /// The source attention of a read: how much of what each read head reads was written at each
    /// source step, `a(s) = Σ_i w^r(i) w^w_s(i) / Σ_{s'} Σ_i w^r(i) w^w_{s'}(i)` — a row of
    /// `W_read · W_writeᵀ`, normalised to sum to 1 over the source (0 on padding, whose write
    /// weighting is zero). Not on the tape.
    /// - Parameters: - reading: `w^r`, `[B, R, N]`. - written: `[B, S, N]`.
    /// - Returns: `[B, R, S]`.
    static func sourceAttention(reading: Tensor, written: Tensor) -> Tensor {
        let batch = reading.shape[0], heads = reading.shape[1], slots = reading.shape[2], length = written.shape[1]
        let out = Tensor.zeros([batch, heads, length])
        for b in 0..<batch {
            for h in 0..<heads {
                let read = reading.data + (b * heads + h) * slots, row = out.data + (b * heads + h) * length
                var total: Float = 0
                for s in 0..<length {
                    row[s] = Vector.dot(read, written.data + (b * length + s) * slots, slots)
                    total += row[s]
                }
                if total > 0 { for s in 0..<length { row[s] /= total } }
            }
        }
        return out
    }
}
