import CamlabFigures
import CamlabImaging
import Foundation

/// The test fixtures (copied from shared/reference so the tests run anywhere).
enum Fixtures {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    /// The checkout, for the files camlab ships (Models/).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(name))) as! [String: Any]
    }

    /// OpenCV's tables as rows of [R, G, B].
    static func table(_ name: String) throws -> [[Int]] { try json("colormaps.json")[name] as! [[Int]] }

    static let lab = try! FigureLab(modelAt: path("model.safetensors"))
    static let triangle = try! Subject.file(at: path("single_triangle.png"))
}
