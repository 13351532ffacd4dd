// The three convolution kernels written as the equations read: plain loops, no im2col, no GEMM.
// They are the test oracle for Convolution.swift and the version the lessons show. Slow on purpose.

extension Kernels {
    /// y[n,o,ho,wo] = Σ_{c,i,j} w[o,c,i,j] · x[n,c, ho·s − p + i, wo·s − p + j]   (x is 0 outside the image)
    public static func referenceConv2d(input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                       output y: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry) {
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for ho in 0..<g.outHeight {
                    for wo in 0..<g.outWidth {
                        var sum: Float = 0
                        for c in 0..<g.inChannels {
                            for i in 0..<g.kernelHeight {
                                for j in 0..<g.kernelWidth {
                                    let h = ho * g.stride - g.padding + i
                                    let v = wo * g.stride - g.padding + j
                                    guard h >= 0, h < g.inHeight, v >= 0, v < g.inWidth else { continue }
                                    sum += w[g.weightIndex(o, c, i, j)] * x[g.inputIndex(n, c, h, v)]
                                }
                            }
                        }
                        y[g.outputIndex(n, o, ho, wo)] = sum
                    }
                }
            }
        }
    }

    /// dx[n,c,h,v] = Σ_{o,i,j} w[o,c,i,j] · gy[n,o,ho,wo] over the outputs (ho, wo) that read
    /// pixel (h, v) = (ho·s − p + i, wo·s − p + j): every use of x in the forward pass sends its
    /// weight times the output's gradient back.
    public static func referenceConv2dInputGradient(outputGradient gy: UnsafePointer<Float>,
                                                    weight w: UnsafePointer<Float>,
                                                    inputGradient dx: UnsafeMutablePointer<Float>,
                                                    geometry g: ConvolutionGeometry) {
        dx.update(repeating: 0, count: g.batch * g.inputImageSize)
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for ho in 0..<g.outHeight {
                    for wo in 0..<g.outWidth {
                        let gradient = gy[g.outputIndex(n, o, ho, wo)]
                        for c in 0..<g.inChannels {
                            for i in 0..<g.kernelHeight {
                                for j in 0..<g.kernelWidth {
                                    let h = ho * g.stride - g.padding + i
                                    let v = wo * g.stride - g.padding + j
                                    guard h >= 0, h < g.inHeight, v >= 0, v < g.inWidth else { continue }
                                    dx[g.inputIndex(n, c, h, v)] += w[g.weightIndex(o, c, i, j)] * gradient
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dw[o,c,i,j] = Σ_{n,ho,wo} gy[n,o,ho,wo] · x[n,c, ho·s − p + i, wo·s − p + j]
    public static func referenceConv2dWeightGradient(input x: UnsafePointer<Float>,
                                                     outputGradient gy: UnsafePointer<Float>,
                                                     weightGradient dw: UnsafeMutablePointer<Float>,
                                                     geometry g: ConvolutionGeometry) {
        for o in 0..<g.outChannels {
            for c in 0..<g.inChannels {
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        var sum: Float = 0
                        for n in 0..<g.batch {
                            for ho in 0..<g.outHeight {
                                for wo in 0..<g.outWidth {
                                    let h = ho * g.stride - g.padding + i
                                    let v = wo * g.stride - g.padding + j
                                    guard h >= 0, h < g.inHeight, v >= 0, v < g.inWidth else { continue }
                                    sum += gy[g.outputIndex(n, o, ho, wo)] * x[g.inputIndex(n, c, h, v)]
                                }
                            }
                        }
                        dw[g.weightIndex(o, c, i, j)] = sum
                    }
                }
            }
        }
    }
}

extension ConvolutionGeometry {
    /// Offset of x[n, c, h, w] in an NCHW buffer.
    func inputIndex(_ n: Int, _ c: Int, _ h: Int, _ w: Int) -> Int {
        ((n * inChannels + c) * inHeight + h) * inWidth + w
    }

    /// Offset of y[n, o, ho, wo] in an NCHW buffer.
    func outputIndex(_ n: Int, _ o: Int, _ ho: Int, _ wo: Int) -> Int {
        ((n * outChannels + o) * outHeight + ho) * outWidth + wo
    }

    /// Offset of w[o, c, i, j] in an OIHW buffer.
    func weightIndex(_ o: Int, _ c: Int, _ i: Int, _ j: Int) -> Int {
        ((o * inChannels + c) * kernelHeight + i) * kernelWidth + j
    }
}
