import Foundation
import Testing

struct HelpTests {
    @Test func versionAndHelp() throws {
        let version = try CommandLine.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let help = try CommandLine.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("class activation maps"))
    }

    @Test func unknownSubcommandFails() throws {
        let result = try CommandLine.run(["frobnicate"])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.isEmpty)
    }

    @Test func readmesNameOnlyPathsANewcomerHas() throws {
        for readme in ["README.md", "Tools/pytorch/README.md"] {
            let text = try String(contentsOf: CommandLine.packageRoot.appendingPathComponent(readme), encoding: .utf8)
            for machinePath in ["/work/", "/opt/", "shared/reference"] {
                #expect(!text.contains(machinePath), "\(readme) names \(machinePath)")
            }
        }
    }

    @Test func sanityRandomizesFromTheTopAndReportsEachMethod() throws {
        let result = try CommandLine.run(["sanity", "--methods", "gradcam,guided"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("cascading randomization"))
        for layer in ["classifier", "+ features.5", "+ features.2", "+ features.0"] { #expect(result.stdout.contains(layer)) }
    }
}
