import Foundation

/// A throwaway folder with a tiny reverse corpus in `data/`: 48 training pairs and 6 dev pairs
/// of 3–5 tokens over 8 symbols, the same for every test (a fixed LCG).
struct TinyReverseCorpus {
    let directory: URL
    var data: URL { directory.appendingPathComponent("data") }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("attend-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
        var state: UInt64 = 7
        func next(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) % n }
        func sentences(_ count: Int) -> [[String]] { (0..<count).map { _ in (0..<(3 + next(3))).map { _ in "w\(next(8))" } } }
        for (split, count) in [("train", 48), ("dev", 6)] {
            let sources = sentences(count)
            try write(split + ".src", sources.map { $0.joined(separator: " ") })
            try write(split + ".tgt", sources.map { $0.reversed().joined(separator: " ") })
        }
    }

    func write(_ name: String, _ lines: [String]) throws {
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: data.appendingPathComponent(name))
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Runs `attend arguments…` in the folder.
    func attend(_ arguments: [String], input: String? = nil,
                environment: [String: String] = [:]) throws -> AttendProcess.Run {
        try AttendProcess.run(arguments, input: input, in: directory, environment: environment)
    }

    func text(_ path: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent(path).path) }
}
