import Foundation
import Testing

/// `camlab check`: the tutorial's equations hold where the tutorial says, and part where it says.
struct CheckCommandTests {
    static let model = CamCommandTests.model

    func check(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]) {
        let result = try CommandLine.run(["check"] + arguments + ["--model", Self.model, "--image", CamCommandTests.image("single_triangle.png"), "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        return (result.status, json)
    }

    @Test(arguments: ["eq1", "eq2", "eq3", "gradcam-is-cam", "gradcampp-exact"])
    func holdsAtTheLastLayer(_ name: String) throws {
        let (status, json) = try check([name])
        #expect(status == 0)
        #expect(json["holds"] as? Bool == true, "\(json)")
    }

    @Test func gradcamAndCamPartAtAnEarlierLayer() throws {
        let (status, json) = try check(["gradcam-is-cam", "--layer", "features.3"])
        #expect(status == 0)
        #expect(json["holds"] as? Bool == false && json["expected_to_hold"] as? Bool == false)
        #expect((json["max_difference"] as! Double) > 0.01)
    }

    @Test func unknownCheckSuggests() throws {
        let result = try CommandLine.run(["check", "eq4", "--model", Self.model])
        #expect(result.status != 0 && result.stdout.isEmpty && result.stderr.contains("did you mean"))
    }
}
