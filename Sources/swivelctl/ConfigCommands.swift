import ArgumentParser
import Foundation
import SwivelControl
import SwivelYAML
import NIOHTTP1
import SwivelClient

// `swivelctl apply` and `swivelctl config show`: the desired state, as documents.

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a config file: replaces the objects that owner has (default config), keeps everyone else's.",
        discussion: "The file is checked here first (errors name the file, line and column), then the whole resulting state is validated by swiveld; nothing changes when anything is wrong.")
    @OptionGroup var connection: Connection
    @Option(name: .shortAndLong, help: "The YAML (or JSON) file in the network model.") var file: String
    @Option(help: "Whose objects the file replaces.") var owner: String = "config"
    @Flag(name: .customLong("dry-run"), help: "Only print what would change.") var dryRun = false

    func run() async throws {
        let document: NetworkConfig
        do {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw APIClient.Failure(description: "cannot read \(file)") }
            // What the switch already has may be referred to (a port joining a network another owner made).
            let (running, _) = try await connection.get("/v1/config", as: NetworkConfig.self)
            document = try ConfigLoader.parse(text, file: file, existing: running)
        } catch { throw fail(error) }
        do {
            let query = "/v1/config?owner=\(owner)" + (dryRun ? "&dry_run=1" : "")
            let (plan, _) = try await connection.post(query, document, as: ApplyPlanDoc.self, method: .PUT)
            if connection.json { try connection.printEncoded(plan); return }
            print((dryRun ? "would change: " : "applied: ") + plan.summary)
        } catch { throw fail(error) }
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "The running desired state.",
                                                    subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the running state as YAML (or --json) that can be applied again unchanged.")
        @OptionGroup var connection: Connection
        func run() async throws {
            do {
                let (config, _) = try await connection.get("/v1/config", as: NetworkConfig.self)
                if connection.json { try connection.printEncoded(config); return }
                print(try ConfigWriter.yaml(config), terminator: "")
            } catch { throw fail(error) }
        }
    }
}
