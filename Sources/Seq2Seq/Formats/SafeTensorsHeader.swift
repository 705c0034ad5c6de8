import Foundation

/// An element type of the safetensors format, named as in its header (`"F32"`, `"BF16"`, …).
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case f64 = "F64", i64 = "I64", u64 = "U64"

    /// Bytes per element: needed to check every tensor's byte span, even of types we cannot read.
    public var byteCount: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }
}

/// One tensor's entry in the header: where its bytes lie in the data buffer, already validated.
struct SafeTensorsEntry {
    var name: String
    var dtype: SafeTensorsDType
    var shape: [Int]
    /// Byte range relative to the start of the data buffer (the byte after the header).
    var begin: Int
    var end: Int
}

/// The parsed header: tensor entries in data order, and the `__metadata__` strings.
struct SafeTensorsHeader {
    var entries: [SafeTensorsEntry]
    var metadata: [String: String]

    /// Parses and validates the header of a whole safetensors file.
    ///
    /// Layout: `u64` little-endian header length `n`, `n` bytes of UTF-8 JSON, then the data
    /// buffer. Checked here, in this order, so that no later read can leave the buffer:
    /// the length field is present; `n` is below `SafeTensorsFile.maximumHeaderLength` and
    /// inside the file; the JSON is an object whose `__metadata__` (if any) maps strings to
    /// strings and whose other members are `{dtype, shape, data_offsets}`; each dtype is known,
    /// each extent non-negative, shape × element size equals the span without overflow; sorted
    /// by offset the tensors are packed from byte 0 with no overlap or gap; the last one ends
    /// exactly at the end of the file. These are the rules of the reference reader
    /// (huggingface/safetensors), so we accept what it accepts and reject what it rejects.
    ///
    /// - Returns: the header and the offset of the data buffer within `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> (SafeTensorsHeader, dataStart: Int) {
        guard bytes.count >= 8 else { throw SafeTensorsError.Problem.tooShort(fileSize: bytes.count) }
        let length = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard length <= UInt64(SafeTensorsFile.maximumHeaderLength) else {
            throw SafeTensorsError.Problem.headerTooLarge(length: length)
        }
        guard length <= UInt64(bytes.count - 8) else {
            throw SafeTensorsError.Problem.headerBeyondFile(length: length, fileSize: bytes.count)
        }
        let dataStart = 8 + Int(length)
        let json = Data(bytes[8..<dataStart])
        guard String(validating: json, as: UTF8.self) != nil else {
            throw SafeTensorsError.Problem.headerNotJSON("not UTF-8 text")
        }
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: json)
        } catch let problem as SafeTensorsError.Problem {
            throw problem
        } catch {
            throw SafeTensorsError.Problem.headerNotJSON(Self.summary(of: error))
        }
        let entries = try validateLayout(raw.entries, dataCount: bytes.count - dataStart)
        return (SafeTensorsHeader(entries: entries, metadata: raw.metadata), dataStart)
    }

    /// Checks each entry's span against its shape, then that the spans tile the data buffer.
    private static func validateLayout(_ entries: [RawEntry], dataCount: Int) throws -> [SafeTensorsEntry] {
        var checked = [SafeTensorsEntry]()
        checked.reserveCapacity(entries.count)
        for raw in entries {
            guard let dtype = SafeTensorsDType(rawValue: raw.dtype) else {
                throw SafeTensorsError.Problem.unknownDType(tensor: raw.name, dtype: raw.dtype)
            }
            guard raw.shape.allSatisfy({ $0 >= 0 }) else {
                throw SafeTensorsError.Problem.malformedEntry(tensor: raw.name, reason: "negative extent in shape \(raw.shape)")
            }
            guard raw.offsets.count == 2, raw.offsets[0] >= 0, raw.offsets[0] <= raw.offsets[1] else {
                throw SafeTensorsError.Problem.malformedEntry(
                    tensor: raw.name, reason: "data_offsets \(raw.offsets) is not a range [begin, end]")
            }
            var bytes = dtype.byteCount
            for extent in raw.shape {
                let (product, overflow) = bytes.multipliedReportingOverflow(by: extent)
                guard !overflow else {
                    throw SafeTensorsError.Problem.malformedEntry(tensor: raw.name, reason: "shape \(raw.shape) is too large")
                }
                bytes = product
            }
            let span = raw.offsets[1] - raw.offsets[0]
            guard span == bytes else {
                throw SafeTensorsError.Problem.sizeMismatch(tensor: raw.name, expectedBytes: bytes, actualBytes: span)
            }
            checked.append(SafeTensorsEntry(name: raw.name, dtype: dtype, shape: raw.shape,
                                            begin: raw.offsets[0], end: raw.offsets[1]))
        }
        // JSON objects are unordered: the data order is the only order a file really has.
        // Names break ties between empty tensors, so the result never depends on hashing.
        checked.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expected = 0
        for (index, entry) in checked.enumerated() {
            if entry.begin < expected {
                throw SafeTensorsError.Problem.overlap(tensor: entry.name, previous: checked[index - 1].name)
            }
            if entry.begin > expected {
                throw SafeTensorsError.Problem.gap(tensor: entry.name, begin: entry.begin, expected: expected)
            }
            expected = entry.end
        }
        if expected > dataCount {
            throw SafeTensorsError.Problem.truncated(neededBytes: expected, availableBytes: dataCount)
        }
        if expected < dataCount {
            throw SafeTensorsError.Problem.trailingBytes(count: dataCount - expected)
        }
        return checked
    }

    /// The one line of a decoding error worth showing to a user.
    private static func summary(of error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}

/// A header member other than `__metadata__`, as written, before validation.
private struct RawEntry {
    var name: String
    var dtype: String
    var shape: [Int]
    var offsets: [Int]
}

/// The header as JSON: an object with one member per tensor plus an optional `__metadata__`.
///
/// Decoded by hand because the members are heterogeneous (string map vs. tensor entry), and so
/// that each failure names the member at fault.
private struct RawHeader: Decodable {
    var entries: [RawEntry] = []
    var metadata: [String: String] = [:]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct Entry: Decodable {
        var dtype: String
        var shape: [Int]
        var data_offsets: [Int]
    }

    init(from decoder: Decoder) throws {
        let container: KeyedDecodingContainer<Key>
        do {
            container = try decoder.container(keyedBy: Key.self)
        } catch DecodingError.typeMismatch {
            throw SafeTensorsError.Problem.headerNotObject
        }
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                do {
                    metadata = try container.decode([String: String].self, forKey: key)
                } catch {
                    throw SafeTensorsError.Problem.metadataNotStrings
                }
                continue
            }
            do {
                let entry = try container.decode(Entry.self, forKey: key)
                entries.append(RawEntry(name: key.stringValue, dtype: entry.dtype, shape: entry.shape,
                                        offsets: entry.data_offsets))
            } catch {
                throw SafeTensorsError.Problem.malformedEntry(
                    tensor: key.stringValue, reason: "expected {\"dtype\": string, \"shape\": [int], \"data_offsets\": [int, int]}")
            }
        }
    }
}
