import Foundation

/// Why bytes could not be read as a safetensors file, or tensors could not be written as one.
///
/// Every problem a file can have is a value of `Problem`, so callers and tests can tell them
/// apart, and `description` turns it into one line naming the file, e.g.
/// `runs/x/best.safetensors is not a valid safetensors file: header length 9999999 exceeds file size 1234`.
public struct SafeTensorsError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// What exactly is wrong.
    public enum Problem: Equatable, Sendable {
        /// The file could not be read at all (missing, unreadable); carries the system's reason.
        case unreadable(String)
        /// Fewer than the 8 bytes that hold the header length.
        case tooShort(fileSize: Int)
        /// A header length above `SafeTensorsFile.maximumHeaderLength`: not a safetensors file.
        case headerTooLarge(length: UInt64)
        /// A header length that runs past the end of the file: a truncated or foreign file.
        case headerBeyondFile(length: UInt64, fileSize: Int)
        /// The header is not valid JSON (or not UTF-8); carries the parser's reason.
        case headerNotJSON(String)
        /// The header is JSON but not an object of tensor entries.
        case headerNotObject
        /// `__metadata__` is present but is not an object of string values.
        case metadataNotStrings
        /// A tensor entry lacks `dtype`, `shape` or `data_offsets`, or has the wrong kind of value.
        case malformedEntry(tensor: String, reason: String)
        /// A dtype name the format does not define.
        case unknownDType(tensor: String, dtype: String)
        /// A dtype the format defines but this reader cannot turn into Float32 (integers, FP8, …).
        case unsupportedDType(tensor: String, dtype: String)
        /// The byte span in `data_offsets` differs from shape × element size.
        case sizeMismatch(tensor: String, expectedBytes: Int, actualBytes: Int)
        /// The tensor starts before the previous tensor ends: the two overlap.
        case overlap(tensor: String, previous: String)
        /// Unused bytes before the tensor: the format requires tensors to be packed.
        case gap(tensor: String, begin: Int, expected: Int)
        /// The tensors need more data bytes than the file holds: a truncated file.
        case truncated(neededBytes: Int, availableBytes: Int)
        /// Bytes after the last tensor that no tensor claims.
        case trailingBytes(count: Int)
        /// Two tensors with one name (writing only; JSON objects cannot hold duplicate keys).
        case duplicateName(String)
        /// A tensor named `__metadata__`, which the format reserves (writing only).
        case reservedName(String)
    }

    /// The file concerned, as the user named it (or a label such as `<data>` for bytes in memory).
    public var file: String
    public var problem: Problem

    public init(file: String, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .unreadable(let reason): return "cannot read \(file): \(reason)"
        case .duplicateName, .reservedName: return "cannot write \(file): \(reason)"
        default: return "\(file) is not a valid safetensors file: \(reason)"
        }
    }

    public var errorDescription: String? { description }

    /// The problem alone, without the file name: `header length 9999999 exceeds file size 1234`.
    public var reason: String {
        switch problem {
        case .unreadable(let reason):
            return reason
        case .tooShort(let size):
            return size == 0 ? "the file is empty"
                : "the file has \(size) bytes, fewer than the 8-byte header length"
        case .headerTooLarge(let length):
            return "header length \(length) is above the limit of \(SafeTensorsFile.maximumHeaderLength) bytes"
        case .headerBeyondFile(let length, let size):
            return "header length \(length) exceeds file size \(size)"
        case .headerNotJSON(let reason):
            return "the header is not valid JSON (\(reason))"
        case .headerNotObject:
            return "the header is not a JSON object"
        case .metadataNotStrings:
            return "__metadata__ must be an object whose values are all strings"
        case .malformedEntry(let tensor, let reason):
            return "tensor '\(tensor)': \(reason)"
        case .unknownDType(let tensor, let dtype):
            return "tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case .unsupportedDType(let tensor, let dtype):
            return "tensor '\(tensor)' has dtype \(dtype); only F32, F16, BF16 and F64 can be read"
        case .sizeMismatch(let tensor, let expected, let actual):
            return "tensor '\(tensor)' needs \(expected) bytes for its shape and dtype, but data_offsets span \(actual)"
        case .overlap(let tensor, let previous):
            return "tensor '\(tensor)' overlaps tensor '\(previous)'"
        case .gap(let tensor, let begin, let expected):
            return "tensor '\(tensor)' starts at byte \(begin) of the data, expected \(expected) (tensors must be packed)"
        case .truncated(let needed, let available):
            return "the tensors need \(needed) data bytes but the file holds \(available) (truncated?)"
        case .trailingBytes(let count):
            return "\(count) bytes after the last tensor belong to no tensor"
        case .duplicateName(let name):
            return "two tensors are named '\(name)'"
        case .reservedName(let name):
            return "'\(name)' is reserved for the metadata and cannot name a tensor"
        }
    }
}

/// Thrown inside the parser, which does not know the file name; `SafeTensorsFile` adds it.
extension SafeTensorsError.Problem: Error {}
