import ArgumentParser
import Foundation
import SwivelControl
import NIOHTTP1
import SwivelClient

@main
struct Swivelctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swivelctl",
        abstract: "Operate a running swiveld: ports, the forwarding database, flows, drops, counters, traces and captures.",
        subcommands: [ApplyCommand.self, ConfigCommand.self, PortCommand.self, FDBCommand.self, OverlayCommand.self, RouteCommand.self, NeighborCommand.self, FlowsCommand.self,
                      DropsCommand.self, StatsCommand.self, TraceCommand.self, CaptureCommand.self, ACLCommand.self,
                      ConntrackCommand.self])

    /// Declared here too so `--socket` and `--json` may come before the command words
    /// (`swivelctl --socket S port show`); the argument parser hands them to the subcommand's own group.
    @OptionGroup var connection: Connection
}

struct Connection: ParsableArguments {
    @Option(help: "swiveld's API socket.")
    var socket: String = "/run/swivel/swiveld.sock"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> (T, Data) {
        let (status, body) = try await APIClient(socketPath: socket).request(.GET, path)
        try check(status, body)
        do {
            return (try JSONDecoder().decode(T.self, from: body), body)
        } catch {
            throw APIClient.Failure(description: "unexpected answer from swiveld for \(path): \(error)")
        }
    }

    func post(_ path: String) async throws -> Data {
        let (status, body) = try await APIClient(socketPath: socket).request(.POST, path)
        try check(status, body)
        return body
    }

    func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, as type: Answer.Type,
                                                  method: HTTPMethod = .POST) async throws -> (Answer, Data) {
        let (status, data) = try await APIClient(socketPath: socket).request(method, path, body: try JSONEncoder().encode(body))
        try check(status, data)
        do {
            return (try JSONDecoder().decode(Answer.self, from: data), data)
        } catch {
            throw APIClient.Failure(description: "unexpected answer from swiveld for \(path): \(error)")
        }
    }

    func check(_ status: Int, _ body: Data) throws {
        guard (200..<300).contains(status) else {
            let refusal = try? JSONDecoder().decode(APIErrorDoc.self, from: body)
            throw Refused(status: status, code: refusal?.error.code,
                          message: refusal?.error.message ?? String(decoding: body, as: UTF8.self))
        }
    }

    /// Posts an action, checks the answer has the expected shape, and prints it.
    func act<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, answer: Answer.Type) async throws {
        let (_, raw) = try await post(path, body, as: answer)
        printJSON(raw)
    }

    func printEncoded<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    func printJSON(_ data: Data) {
        // Re-indent the server's compact JSON for people; scripts get stable, sorted keys either way.
        if let obj = try? JSONSerialization.jsonObject(with: data),
           let pretty = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]) {
            print(String(decoding: pretty, as: UTF8.self))
        } else {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// swiveld refused a request: its HTTP status and the API's error code (Docs/openapi.yaml lists them).
struct Refused: Error, CustomStringConvertible {
    var status: Int
    var code: APIErrorCode?
    var message: String
    var description: String { "swiveld answered \(status)\(code.map { " \($0.rawValue)" } ?? ""): \(message)" }
}

/// Exit codes (Docs/cli.md): 0 done; 1 swiveld refused the request, or anything else went wrong; 2 swiveld
/// could not be reached (scripts may wait and retry); 64 the command line itself is wrong (the argument
/// parser's usage error).
enum Exit {
    static let refused: Int32 = 1
    static let unreachable: Int32 = 2
}

func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("swivelctl: \(error)\n".utf8))
    if let f = error as? APIClient.Failure, f.isUnreachable { return ExitCode(Exit.unreachable) }
    return ExitCode(Exit.refused)
}
