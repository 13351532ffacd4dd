import CamlabImaging

/// How figures look: sizes chosen to stay legible when projected (text ≥ 11 pt, panels ≥ 160 px),
/// the colormap of the heatmaps and the overlay's image weight.
public struct FigureStyle: Sendable {
    /// OpenCV's JET by default, as pytorch-grad-cam; `.viridis` for colour-blind-safe figures.
    public var colormap = Colormap.jet
    /// `show_cam_on_image`'s image_weight: the share of the photo in the overlay.
    public var imageWeight: Float = 0.5
    /// Draws each method's equation under the figure.
    public var showsEquation = true
    /// Outlines the ground-truth masks on the overlays when they are known.
    public var showsOutlines = true
    /// `--scale shared`: the maps of one method share one scale (divided by the largest raw peak
    /// among them) instead of each being scaled to [0, 1] on its own, so a weak map looks weak.
    public var sharesScale = false
    public var typeface = Typeface.available

    /// Side of a panel in single-image figures and of a cell in comparison grids (pixels).
    public var panelSide = 256
    public var cellSide = 176
    public var tileSide = 112

    public var title = Font(points: 17, isBold: true)
    public var heading = Font(points: 13, isBold: true)
    public var body = Font(points: 12)
    public var small = Font(points: 11)

    public var margin = 24
    public var gap = 14
    public var lineSpacing = 4

    public var ink = RGB(red: 26, green: 26, blue: 26)
    public var muted = RGB(red: 85, green: 85, blue: 85)
    public var grid = RGB(red: 222, green: 222, blue: 222)
    /// The ground-truth outline: white stands out against every colour of JET and viridis.
    public var outline = RGB.white
    /// Okabe–Ito vermilion and blue: positive and negative bars, distinguishable with any colour vision.
    public var positive = RGB(red: 213, green: 94, blue: 0)
    public var negative = RGB(red: 0, green: 114, blue: 178)

    public init() {}
}
