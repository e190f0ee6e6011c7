/**
 * Builds tiny ONNX models in memory, so the heavy matrix products of PCA run in onnxruntime's native
 * kernels without shipping model files. Only the handful of protobuf fields these graphs need are written.
 */

class ProtoWriter {
  private bytes: number[] = [];
  varint(field: number, value: number): this {
    this.key(field, 0);
    this.rawVarint(value);
    return this;
  }
  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }
  message(field: number, inner: ProtoWriter): this {
    return this.bytesField(field, inner.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
  private bytesField(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.rawVarint(value.length);
    for (const b of value) this.bytes.push(b);
    return this;
  }
  private key(field: number, wireType: number) {
    this.rawVarint(field * 8 + wireType);
  }
  private rawVarint(value: number) {
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }
}

/** ONNX TensorProto.DataType codes of the element types used here. */
export const ElementType = { float: 1, uint8: 2, int8: 3, uint16: 4, int32: 6, int64: 7, float16: 10, uint32: 12 } as const;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_STRING = 3;
const ATTRIBUTE_INTS = 7;

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes; an array is written as a list (e.g. axes, perm). */
  intAttributes?: Record<string, number | number[]>;
  /** String attributes (e.g. BitShift's direction). */
  stringAttributes?: Record<string, string>;
}

/** A tensor value; dims are numbers or symbolic names. */
export interface GraphValue {
  name: string;
  dims: (number | string)[];
  elementType?: number;
}

function valueInfo(v: GraphValue): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().varint(1, v.elementType ?? ElementType.float).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

export function encodeOnnxModel(nodes: GraphNode[], inputs: GraphValue[], outputs: GraphValue[], opset = 13): Uint8Array {
  const graph = new ProtoWriter();
  nodes.forEach((node, i) => {
    const n = new ProtoWriter();
    for (const input of node.inputs) n.string(1, input);
    for (const output of node.outputs) n.string(2, output);
    n.string(3, `node${i}`).string(4, node.op);
    for (const [name, value] of Object.entries(node.intAttributes ?? {})) {
      const attribute = new ProtoWriter().string(1, name);
      if (Array.isArray(value)) {
        for (const v of value) attribute.varint(8, v);
        attribute.varint(20, ATTRIBUTE_INTS);
      } else {
        attribute.varint(3, value).varint(20, ATTRIBUTE_INT);
      }
      n.message(5, attribute);
    }
    for (const [name, value] of Object.entries(node.stringAttributes ?? {})) {
      n.message(5, new ProtoWriter().string(1, name).string(4, value).varint(20, ATTRIBUTE_STRING));
    }
    graph.message(1, n);
  });
  graph.string(2, 'tokenscape');
  for (const v of inputs) graph.message(11, valueInfo(v));
  for (const v of outputs) graph.message(12, valueInfo(v));
  return new ProtoWriter()
    .varint(1, 7) // IR version 7 pairs with opset 13
    .string(2, 'tokenscape')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').varint(2, opset))
    .finish();
}
