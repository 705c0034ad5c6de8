import Foundation

/// Why a file is not a usable checkpoint, or why a checkpoint could not be written.
///
/// `description` is one line for the user, e.g.
/// `runs/x/best.safetensors is not a checkpoint: header length 9999999 exceeds file size 1234`, or
/// `runs/x/best.safetensors is not a checkpoint: metadata key 'attend.target_vocab' is missing`.
public struct CheckpointError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public enum Problem: Equatable, Sendable {
        /// The file is not a valid safetensors file (or cannot be read: `.unreadable`).
        case notSafeTensors(SafeTensorsError.Problem)
        /// A metadata key every checkpoint has is absent.
        case missingMetadata(key: String)
        /// A metadata value does not parse as what the key holds.
        case invalidMetadata(key: String, reason: String)
        /// Written by a newer layout than this build reads.
        case newerFormat(version: Int)
        /// A parameter name starting with `optimizer.` (writing only).
        case parameterNameClash(String)
    }

    public var file: String
    public var problem: Problem

    public init(file: String, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .notSafeTensors(.unreadable(let reason)):
            return "cannot read \(file): \(reason)"
        case .notSafeTensors(let inner):
            return "\(file) is not a checkpoint: \(SafeTensorsError(file: file, problem: inner).reason)"
        case .missingMetadata(let key):
            return "\(file) is not a checkpoint: metadata key '\(key)' is missing"
        case .invalidMetadata(let key, let reason):
            return "\(file) is not a checkpoint: metadata key '\(key)' is invalid: \(reason)"
        case .newerFormat(let version):
            return "\(file) has checkpoint format version \(version); this build of attend reads up to \(Checkpoint.formatVersion)"
        case .parameterNameClash(let name):
            return "cannot write \(file): parameter '\(name)' starts with '\(Checkpoint.optimizerPrefix)', "
                + "which marks optimizer state"
        }
    }

    public var errorDescription: String? { description }
}
