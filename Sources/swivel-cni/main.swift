import Foundation
import SwivelClient
import SwivelControl

// swivel-cni: a CNI plugin (spec 1.1.0; answers 0.4.0, 1.0.0 and 1.1.0 callers) that attaches a container
// to a Swivel network: a veth pair, the container's end named CNI_IFNAME in CNI_NETNS, the host end a
// port of swiveld owned by `cni`, with port security for the container's MAC and addresses.
// Everything goes through swiveld's API; results and errors on stdout, logs on stderr.

let supportedVersions = ["0.4.0", "1.0.0", "1.1.0"]

let environment = ProcessInfo.processInfo.environment
let command = environment["CNI_COMMAND"] ?? ""
let input = FileHandle.standardInput.readDataToEndOfFile()
var callerVersion = "1.1.0"

do {
    let config = try NetConf.parse(input)
    callerVersion = config.cniVersion
    guard supportedVersions.contains(config.cniVersion) || command == "VERSION" else {
        throw CNIError(code: 1, msg: "incompatible CNI version \(config.cniVersion)", details: "supported: \(supportedVersions.joined(separator: ", "))")
    }
    let plugin = Plugin(config: config, environment: environment)
    if command != "VERSION" { try plugin.validate() }
    switch command {
    case "ADD": try await plugin.add()
    case "DEL": try await plugin.del()
    case "CHECK": try await plugin.check()
    case "STATUS": try await plugin.status()
    case "GC": try await plugin.gc()
    case "VERSION": print(#"{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0","1.1.0"]}"#)
    default: throw CNIError(code: 4, msg: "unknown CNI_COMMAND '\(command)'")
    }
} catch let e as CNIError {
    e.report(version: callerVersion)
    exit(1)
} catch {
    CNIError(code: 999, msg: "\(error)").report(version: callerVersion)
    exit(1)
}
