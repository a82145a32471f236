import ArgumentParser
import NIOCore
import ResolvdProtocol

/// `resolvd-bench codec`: the JSON codec's parse and write times per request line.
struct CodecBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Mean parse and write time of protocol v1's JSON codec on one request line (release builds).")

    @Option(help: "Parses and writes measured.")
    var iterations = 1_000_000

    func run() {
        let (parse, write) = JSONCodecBenchmark.run(iterations: iterations)
        print("parse \(Int(parse)) ns/line, write \(Int(write)) ns/line: \(JSONCodecBenchmark.requestLine)")
    }
}

/// A quick measurement of the JSON codec on a typical protocol v1 request line, for humans
/// comparing builds (run it from a release build). It is not a test: it asserts nothing, and
/// its numbers depend on the machine.
enum JSONCodecBenchmark {
    /// The request line measured.
    static let requestLine =
        #"{"id":123456,"op":"getaddrinfo","name":"host123.example.test","family":"unspec","flags":["canonname"]}"#

    /// Parses `requestLine` from a `ByteBuffer` `iterations` times, then writes the parsed value
    /// into a reused `ByteBuffer` `iterations` times, and returns the mean time of each in
    /// nanoseconds.
    static func run(iterations: Int) -> (parseNanosPerOp: Double, writeNanosPerOp: Double) {
        precondition(iterations > 0, "iterations must be positive")
        let input = ByteBuffer(string: Self.requestLine)
        let clock = ContinuousClock()

        var checksum = 0
        var parsed = JSONValue.null
        let parseTime = clock.measure {
            for _ in 0..<iterations {
                do {
                    parsed = try JSONParser.parse(input)
                    checksum &+= parsed.objectValue?.count ?? 0
                } catch {
                    preconditionFailure("benchmark input failed to parse: \(error)")
                }
            }
        }

        var output = ByteBuffer()
        output.reserveCapacity(256)
        let writeTime = clock.measure {
            for _ in 0..<iterations {
                output.clear()
                checksum &+= output.writeJSONValue(parsed)
            }
        }
        // Keep the work observable so the optimiser cannot drop it.
        precondition(checksum != 0 && output.readableBytes > 0)

        return (Self.nanoseconds(parseTime) / Double(iterations), Self.nanoseconds(writeTime) / Double(iterations))
    }

    private static func nanoseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}
