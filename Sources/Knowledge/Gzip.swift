import CZlib

/// gzip compression through zlib.
enum Gzip {
    enum GzipError: Error, CustomStringConvertible {
        case zlib(Int32)
        var description: String {
            switch self {
            case .zlib(let code): return "zlib error \(code)"
            }
        }
    }

    /// Decompresses gzip (or zlib) data.
    static func decompress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: accept gzip or zlib headers.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError.zlib(Z_STREAM_ERROR)
        }
        defer { inflateEnd(&stream) }
        return try run(&stream, input, reserving: input.count * 6) { inflate(&$0, Z_NO_FLUSH) }
    }

    /// Compresses to the gzip format at the best compression level.
    static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: write a gzip header.
        guard
            deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { throw GzipError.zlib(Z_STREAM_ERROR) }
        defer { deflateEnd(&stream) }
        return try run(&stream, input, reserving: 0) { deflate(&$0, Z_FINISH) }
    }

    /// Feeds `input` to an initialized stream and collects what `step` (inflate or deflate) produces,
    /// 256 KB at a time, until the stream ends.
    private static func run(
        _ stream: inout z_stream, _ input: [UInt8], reserving: Int, step: (inout z_stream) -> Int32
    ) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(reserving)
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var input = input
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    status = step(&stream)
                    output.append(contentsOf: outBuf[0..<(outBuf.count - Int(stream.avail_out))])
                }
            } while status == Z_OK
        }
        guard status == Z_STREAM_END else { throw GzipError.zlib(status) }
        return output
    }
}
