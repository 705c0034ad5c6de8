import Autograd
import Foundation
import XCTest
import Seq2Seq

/// The safetensors reader/writer, atomic writes and the checkpoint layer on top of them.
final class CheckpointTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("attend-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: - Helpers

    private func bits(_ tensor: Tensor) -> [UInt32] { tensor.scalars.map(\.bitPattern) }

    /// Tensors with awkward values and shapes, in an order that is not alphabetical.
    private func sampleTensors() -> [(name: String, tensor: Tensor)] {
        var generator = SeededGenerator(seed: 7)
        let special: [Float] = [-0.0, .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234),
                                .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        return [
            ("decoder.out.weight", Tensor.normal([3, 5], generator: &generator)),
            ("b", Tensor(shape: [6], scalars: special)),
            ("a.scalar", Tensor(0.25)),
            ("empty", Tensor(shape: [0, 3], scalars: [])),
            ("encoder.embedding.weight", Tensor.uniform([2, 2, 2], low: -1, high: 1, generator: &generator)),
        ]
    }

    private func sampleCheckpoint() -> Checkpoint {
        var generator = SeededGenerator(seed: 3)
        return Checkpoint(
            parameters: [("encoder.embedding.weight", Tensor.normal([4, 3], generator: &generator)),
                         ("decoder.rnn.weight_ih_l0", Tensor.normal([9, 3], generator: &generator))],
            optimizerState: [("m.encoder.embedding.weight", Tensor.normal([4, 3], generator: &generator)),
                             ("v.encoder.embedding.weight", Tensor.normal([4, 3], generator: &generator))],
            configuration: #"{"cell":"gru","hidden":3,"attention":"bahdanau"}"#,
            sourceVocabulary: ["<pad>", "<unk>", "Haus", "\"quote\"", "a\\b", "naïve", "🙂", "/"],
            targetVocabulary: ["<pad>", "<s>", "</s>", "house", "line\nbreak"],
            trainingState: TrainingState(step: 1234, epoch: 5,
                                         rngState: [UInt64.max - 1, 0, 1 << 63, 0x0123_4567_89AB_CDEF],
                                         bestScore: 0.1 + 0.2, bestMetric: "bleu", dataPosition: 17))
    }

    /// Asserts that `body` throws a `SafeTensorsError` with exactly `problem`.
    private func assertProblem(_ problem: SafeTensorsError.Problem, _ body: () throws -> Void,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.problem, problem, "\(error)", file: file, line: line)
        }
    }

    /// A file made of a hand-written header (padded to 8 bytes) and `dataCount` zero bytes.
    private func rawFile(header: String, dataCount: Int, lengthField: UInt64? = nil) -> Data {
        var json = Data(header.utf8)
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var file = Data()
        withUnsafeBytes(of: (lengthField ?? UInt64(json.count)).littleEndian) { file.append(contentsOf: $0) }
        return file + json + Data(count: dataCount)
    }

    private func temporaryFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
    }

    // MARK: - Format

    func testRoundTripKeepsBitsNamesOrderAndMetadata() throws {
        let tensors = sampleTensors()
        let metadata = ["format": "pt", "quote\"key": "line\nbreak\t\u{01} naïve 🙂 \\ /", "": "empty key"]
        let url = folder.appendingPathComponent("t.safetensors")
        try SafeTensorsFile(tensors: tensors, metadata: metadata).write(to: url)
        let read = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(read.tensors.map(\.name), tensors.map(\.name))
        for ((_, original), (_, loaded)) in zip(tensors, read.tensors) {
            XCTAssertEqual(loaded.shape, original.shape)
            XCTAssertEqual(bits(loaded), bits(original))
        }
        XCTAssertEqual(read.metadata, metadata)
        XCTAssertEqual(read["b"].map(bits), bits(tensors[1].tensor))
        XCTAssertNil(read["missing"])
    }

    func testGoldenBytesOfASmallFile() throws {
        let file = SafeTensorsFile(tensors: [("w", Tensor(shape: [1, 2], scalars: [1, -2]))], metadata: ["k": "v"])
        let header = #"{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#
        var expected = rawFile(header: header, dataCount: 0)
        expected += Data([0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])  // 1.0, -2.0 little-endian
        XCTAssertEqual(try file.data(), expected)
    }

    func testSameTensorsGiveIdenticalBytes() throws {
        // Separate tensor objects and metadata dictionaries built in different orders.
        let first = SafeTensorsFile(tensors: sampleTensors(), metadata: ["x": "1", "y": "2", "z": "3"])
        var metadata = [String: String]()
        for key in ["z", "x", "y"] { metadata[key] = first.metadata[key] }
        let second = SafeTensorsFile(tensors: sampleTensors(), metadata: metadata)
        XCTAssertEqual(try first.data(), try second.data())
        let url = folder.appendingPathComponent("c.safetensors")
        try sampleCheckpoint().save(to: url)
        let once = try Data(contentsOf: url)
        try sampleCheckpoint().save(to: url)
        XCTAssertEqual(try Data(contentsOf: url), once)
    }

    func testHeaderIsPaddedWithSpacesToEightBytes() throws {
        for length in 1...9 {
            let name = String(repeating: "n", count: length)
            let bytes = try SafeTensorsFile(tensors: [(name, Tensor(1))]).data()
            let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            XCTAssertEqual(headerLength % 8, 0, "name length \(length)")
            let header = bytes.dropFirst(8).prefix(headerLength)
            let json = String(decoding: header, as: UTF8.self)
            XCTAssertTrue(json.trimmingCharacters(in: .init(charactersIn: " ")).hasSuffix("}"))
            XCTAssertNotNil(try JSONSerialization.jsonObject(with: header) as? [String: Any])
            XCTAssertEqual(bytes.count, 8 + headerLength + 4)
        }
    }

    func testWriterRejectsDuplicateAndReservedNames() {
        let url = folder.appendingPathComponent("bad.safetensors")
        assertProblem(.duplicateName("a")) { try SafeTensorsFile(tensors: [("a", Tensor(1)), ("a", Tensor(2))]).write(to: url) }
        assertProblem(.reservedName("__metadata__")) { try SafeTensorsFile(tensors: [("__metadata__", Tensor(1))]).write(to: url) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    // MARK: - Interoperability with the Python `safetensors` package

    /// Written by `safetensors.numpy.save` 0.8.0 (numpy 2.4.6):
    /// `double` F64 [1/3, -1e300], `decoder.bias` F32 [1.5, -0, 3.25],
    /// `encoder.weight` F32 [[0.1, -2], [inf, 1e-40]], `scalar` F32 shape [] 7, `half` F16 [0.5, -65504, 6e-8],
    /// metadata {"format": "np", "note": "héllo \"quoted\" \\ /"}.
    private let pythonFixture = """
        eAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJub3RlIjoiaMOpbGxvIFwicXVvdGVkXCIgXFwgLyIsImZvcm1hdCI6Im5wIn0sImRvdWJsZSI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzAsMTZdfSwiZGVjb2Rlci5iaWFzIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMTYsMjhdfSwiZW5jb2Rlci53ZWlnaHQiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzIsMl0sImRhdGFfb2Zmc2V0cyI6WzI4LDQ0XX0sInNjYWxhciI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbXSwiZGF0YV9vZmZzZXRzIjpbNDQsNDhdfSwiaGFsZiI6eyJkdHlwZSI6IkYxNiIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6WzQ4LDU0XX19VVVVVVVV1T+cdQCIPOQ3/gAAwD8AAACAAABQQM3MzD0AAADAAACAf8IWAQAAAOBAADj/+wEA
        """

    func testReadsAFileWrittenByPythonSafetensors() throws {
        let bytes = try XCTUnwrap(Data(base64Encoded: pythonFixture))
        let file = try SafeTensorsFile(data: bytes)
        XCTAssertEqual(file.tensors.map(\.name), ["double", "decoder.bias", "encoder.weight", "scalar", "half"])
        XCTAssertEqual(file.metadata, ["format": "np", "note": "héllo \"quoted\" \\ /"])
        let expected: [String: (shape: [Int], values: [Float])] = [
            "double": ([2], [Float(1.0 / 3.0), -.infinity]),
            "decoder.bias": ([3], [1.5, -0.0, 3.25]),
            "encoder.weight": ([2, 2], [0.1, -2, .infinity, Float(1e-40 as Double)]),
            "scalar": ([], [7]),
            "half": ([3], [0.5, -65504, 0x1p-24]),
        ]
        for (name, tensor) in file.tensors {
            let want = try XCTUnwrap(expected[name])
            XCTAssertEqual(tensor.shape, want.shape, name)
            XCTAssertEqual(tensor.scalars.map(\.bitPattern), want.values.map(\.bitPattern), name)
        }
    }

    func testRejectsIntegerTensorsWrittenByPython() throws {
        // `save({"ids": np.array([1, 2], dtype=np.int64)})`
        let bytes = try XCTUnwrap(Data(base64Encoded:
            "QAAAAAAAAAB7ImlkcyI6eyJkdHlwZSI6Ikk2NCIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzAsMTZdfX0gICAgICAgAQAAAAAAAAACAAAAAAAAAA=="))
        assertProblem(.unsupportedDType(tensor: "ids", dtype: "I64")) { _ = try SafeTensorsFile(data: bytes) }
    }

    func testHalfPrecisionConversion() {
        XCTAssertEqual(SafeTensorsFile.float(half: 0x3C00), 1)
        XCTAssertEqual(SafeTensorsFile.float(half: 0xC000), -2)
        XCTAssertEqual(SafeTensorsFile.float(half: 0x8000).bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertEqual(SafeTensorsFile.float(half: 0x03FF), 1023 * 0x1p-24)
        XCTAssertEqual(SafeTensorsFile.float(half: 0x7C00), .infinity)
        XCTAssertTrue(SafeTensorsFile.float(half: 0x7E00).isNaN)
    }

    // MARK: - Corrupt files: each throws its own error, none traps

    func testCorruptFilesThrowTheRightError() throws {
        let entry = #""w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        let cases: [(SafeTensorsError.Problem, Data)] = [
            (.tooShort(fileSize: 0), Data()),
            (.tooShort(fileSize: 5), Data([1, 2, 3, 4, 5])),
            (.headerBeyondFile(length: 9_999_999, fileSize: 1234), rawFile(header: "{}", dataCount: 1218, lengthField: 9_999_999)),
            (.headerTooLarge(length: 0x6F6C_6C65_6820_2123), Data("#! hello, this is a shell script\n".utf8)),
            (.headerNotObject, rawFile(header: "[1, 2]", dataCount: 0)),
            (.metadataNotStrings, rawFile(header: #"{"__metadata__":{"step":3}}"#, dataCount: 0)),
            (.malformedEntry(tensor: "w", reason: #"expected {"dtype": string, "shape": [int], "data_offsets": [int, int]}"#),
             rawFile(header: #"{"w":{"shape":[2],"data_offsets":[0,8]}}"#, dataCount: 8)),
            (.malformedEntry(tensor: "w", reason: "negative extent in shape [-2]"),
             rawFile(header: #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, dataCount: 8)),
            (.malformedEntry(tensor: "w", reason: "data_offsets [8, 0] is not a range [begin, end]"),
             rawFile(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, dataCount: 8)),
            (.malformedEntry(tensor: "w", reason: "shape [4611686018427387904, 4] is too large"),
             rawFile(header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, dataCount: 8)),
            (.unknownDType(tensor: "w", dtype: "F31"), rawFile(header: #"{"w":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}"#, dataCount: 8)),
            (.unsupportedDType(tensor: "w", dtype: "I32"), rawFile(header: #"{"w":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}"#, dataCount: 8)),
            (.sizeMismatch(tensor: "w", expectedBytes: 12, actualBytes: 8),
             rawFile(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataCount: 8)),
            (.overlap(tensor: "v", previous: "w"),
             rawFile(header: "{\(entry),\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", dataCount: 12)),
            (.gap(tensor: "v", begin: 12, expected: 8),
             rawFile(header: "{\(entry),\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", dataCount: 16)),
            (.truncated(neededBytes: 8, availableBytes: 7), rawFile(header: "{\(entry)}", dataCount: 7)),
            (.trailingBytes(count: 4), rawFile(header: "{\(entry)}", dataCount: 12)),
        ]
        for (problem, bytes) in cases {
            assertProblem(problem) { _ = try SafeTensorsFile(data: bytes) }
        }
        XCTAssertThrowsError(try SafeTensorsFile(data: rawFile(header: "{\"w\": [1,", dataCount: 0))) { error in
            guard case .headerNotJSON? = (error as? SafeTensorsError)?.problem else { return XCTFail("\(error)") }
        }
        let notUTF8 = Data(rawFile(header: "{\"\u{FF}\":1}", dataCount: 0).map { $0 == 0xC3 ? 0xFF : $0 })
        XCTAssertThrowsError(try SafeTensorsFile(data: notUTF8)) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.problem, .headerNotJSON("not UTF-8 text"))
        }
    }

    func testEveryTruncationAndManyByteFlipsFailCleanly() throws {
        let bytes = try SafeTensorsFile(tensors: sampleTensors(), metadata: ["k": "v"]).data()
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try SafeTensorsFile(data: bytes.prefix(length)), "prefix \(length)")
        }
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<2000 {
            var damaged = bytes
            let position = Int(generator.next() % UInt64(bytes.count))
            damaged[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            _ = try? SafeTensorsFile(data: damaged)  // any outcome but a trap
        }
    }

    func testErrorMessageNamesTheFile() throws {
        let url = URL(fileURLWithPath: folder.path).appendingPathComponent("best.safetensors")
        try rawFile(header: "{}", dataCount: 1218, lengthField: 9_999_999).write(to: url)
        XCTAssertThrowsError(try Checkpoint.load(from: url)) { error in
            XCTAssertEqual("\(error)", "\(url.path) is not a checkpoint: header length 9999999 exceeds file size 1234")
        }
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url)) { error in
            XCTAssertEqual("\(error)", "\(url.path) is not a valid safetensors file: header length 9999999 exceeds file size 1234")
        }
        let missing = folder.appendingPathComponent("nope.safetensors")
        XCTAssertThrowsError(try Checkpoint.load(from: missing)) { error in
            XCTAssertEqual("\(error)", "cannot read \(missing.path): no such file")
        }
        XCTAssertThrowsError(try Checkpoint.load(from: folder)) { error in
            XCTAssertEqual("\(error)", "cannot read \(folder.path): it is a folder, not a file")
        }
    }

    // MARK: - Atomic writes

    func testAtomicWriteReplacesTheFileAndLeavesNoTemporary() throws {
        let url = folder.appendingPathComponent("last.safetensors")
        try AtomicFile.write(Data("old".utf8), to: url)
        try AtomicFile.write(Data("new contents".utf8), to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data("new contents".utf8))
        XCTAssertEqual(try temporaryFiles(), [])
    }

    func testFailedWriteThrowsAndLeavesNothingBehind() throws {
        let missingFolder = folder.appendingPathComponent("no/such/folder/last.safetensors")
        XCTAssertThrowsError(try sampleCheckpoint().save(to: missingFolder)) { error in
            XCTAssertTrue(error is AtomicFileError, "\(error)")
            XCTAssertTrue("\(error)".contains("No such file or directory"), "\(error)")
        }
        // The target is a non-empty directory: the temporary file is written, the rename fails.
        let blocked = folder.appendingPathComponent("best.safetensors")
        try FileManager.default.createDirectory(at: blocked.appendingPathComponent("inside"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try sampleCheckpoint().save(to: blocked)) { error in
            XCTAssertEqual((error as? AtomicFileError)?.step.hasPrefix("rename"), true, "\(error)")
        }
        XCTAssertEqual(try temporaryFiles(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["best.safetensors"])
    }

    // MARK: - Checkpoint

    func testCheckpointRoundTrip() throws {
        let original = sampleCheckpoint()
        try original.save(inRunFolder: folder, isBest: true)
        let last = try Checkpoint.load(from: folder.appendingPathComponent(Checkpoint.lastFileName))
        for loaded in [last, try Checkpoint.load(from: folder.appendingPathComponent(Checkpoint.bestFileName))] {
            XCTAssertEqual(loaded.parameters.map(\.name), original.parameters.map(\.name))
            XCTAssertEqual(loaded.optimizerState.map(\.name), original.optimizerState.map(\.name))
            for (a, b) in zip(loaded.parameters + loaded.optimizerState, original.parameters + original.optimizerState) {
                XCTAssertEqual(a.tensor.shape, b.tensor.shape)
                XCTAssertEqual(bits(a.tensor), bits(b.tensor))
            }
            XCTAssertEqual(loaded.configuration, original.configuration)
            XCTAssertEqual(loaded.sourceVocabulary, original.sourceVocabulary)
            XCTAssertEqual(loaded.targetVocabulary, original.targetVocabulary)
            XCTAssertEqual(loaded.trainingState, original.trainingState)
            XCTAssertEqual(loaded.trainingState.bestScore?.bitPattern, (0.1 + 0.2 as Double).bitPattern)
        }
        // The tensors carry the prefix in the file, and the state is readable by any JSON parser.
        let file = try SafeTensorsFile(contentsOf: folder.appendingPathComponent(Checkpoint.lastFileName))
        XCTAssertEqual(file.tensors.map(\.name).filter { $0.hasPrefix("optimizer.") },
                       ["optimizer.m.encoder.embedding.weight", "optimizer.v.encoder.embedding.weight"])
        let state = try XCTUnwrap(file.metadata[Checkpoint.Key.trainingState])
        XCTAssertTrue(state.contains("\"fffffffffffffffe\""), state)
    }

    func testRestoredGeneratorContinuesTheSameStream() throws {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<5 { _ = generator.next() }
        var checkpoint = sampleCheckpoint()
        checkpoint.trainingState.rngState = generator.state
        try checkpoint.save(to: folder.appendingPathComponent("c.safetensors"))
        let loaded = try Checkpoint.load(from: folder.appendingPathComponent("c.safetensors"))
        var restored = try XCTUnwrap(SeededGenerator(state: loaded.trainingState.rngState))
        XCTAssertEqual((0..<10).map { _ in restored.next() }, (0..<10).map { _ in generator.next() })
    }

    func testNonFiniteBestScoreSurvives() throws {
        for score in [Double.nan, .infinity, -.infinity] {
            var checkpoint = sampleCheckpoint()
            checkpoint.trainingState.bestScore = score
            let loaded = try Checkpoint(try SafeTensorsFile(data: try checkpoint.safeTensorsFile().data()))
            let value = try XCTUnwrap(loaded.trainingState.bestScore)
            XCTAssertTrue(score.isNaN ? value.isNaN : value == score, "\(value)")
        }
    }

    func testBestIsOnlyWrittenWhenBest() throws {
        try sampleCheckpoint().save(inRunFolder: folder, isBest: false)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("last.safetensors").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("best.safetensors").path))
    }

    func testMissingOrBadMetadataIsReportedByKey() throws {
        let good = try sampleCheckpoint().safeTensorsFile()
        let keys = [Checkpoint.Key.formatVersion, Checkpoint.Key.configuration, Checkpoint.Key.sourceVocabulary,
                    Checkpoint.Key.targetVocabulary, Checkpoint.Key.trainingState]
        for key in keys {
            var file = good
            file.metadata[key] = nil
            let url = folder.appendingPathComponent("missing.safetensors")
            try file.write(to: url)
            XCTAssertThrowsError(try Checkpoint.load(from: url)) { error in
                XCTAssertEqual((error as? CheckpointError)?.problem, .missingMetadata(key: key))
                XCTAssertEqual("\(error)", "\(url.relativePath) is not a checkpoint: metadata key '\(key)' is missing")
            }
        }
        let bad: [(String, String)] = [
            (Checkpoint.Key.sourceVocabulary, #"{"not": "an array"}"#),
            (Checkpoint.Key.targetVocabulary, "[1, 2]"),
            (Checkpoint.Key.trainingState, #"{"step": 1, "epoch": 0, "rng_state": ["xyz"]}"#),
            (Checkpoint.Key.trainingState, #"{"epoch": 0, "rng_state": []}"#),
            (Checkpoint.Key.formatVersion, "one"),
        ]
        for (key, value) in bad {
            var file = good
            file.metadata[key] = value
            XCTAssertThrowsError(try Checkpoint(file)) { error in
                guard case .invalidMetadata(let failing, _)? = (error as? CheckpointError)?.problem else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(failing, key, "\(error)")
            }
        }
        var newer = good
        newer.metadata[Checkpoint.Key.formatVersion] = "2"
        XCTAssertThrowsError(try Checkpoint(newer)) { error in
            XCTAssertEqual((error as? CheckpointError)?.problem, .newerFormat(version: 2))
        }
    }

    func testTrainingStateToleratesUnknownAndMissingOptionalFields() throws {
        let json = #"{"step": 9, "epoch": 1, "rng_state": ["1", "ffffffffffffffff"], "added_later": [1]}"#
        let state = try JSONDecoder().decode(TrainingState.self, from: Data(json.utf8))
        XCTAssertEqual(state, TrainingState(step: 9, epoch: 1, rngState: [1, .max]))
    }

    func testParameterNamedLikeOptimizerStateIsRefused() {
        var checkpoint = sampleCheckpoint()
        checkpoint.parameters.append(("optimizer.lr", Tensor(1)))
        let url = folder.appendingPathComponent("x.safetensors")
        XCTAssertThrowsError(try checkpoint.save(to: url)) { error in
            XCTAssertEqual((error as? CheckpointError)?.problem, .parameterNameClash("optimizer.lr"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
