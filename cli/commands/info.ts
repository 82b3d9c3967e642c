import type { Command } from "commander";
import { frameCount } from "../../bindings/dataset.js";
import { dtypeSize } from "../../bindings/dtype.js";
import { action, inputOptions, openInput, report, type CommonOptions } from "../common.js";
import { formatOpenOptions, formatOptions, type FormatOptions } from "./convert.js";
import { declare } from "./index.js";

export function register(program: Command): void {
  formatOptions(inputOptions(declare(program, "info")))
    .action(action("info", async (file: string, o: CommonOptions & FormatOptions) => {
      const ds = await openInput(file, o, formatOpenOptions(o));
      try {
        const frames = frameCount(ds);
        report(o, {
          file,
          shape: ds.shape,
          dtype: ds.dtype,
          frames,
          bytes: frames * ds.shape.at(-1)! * ds.shape.at(-2)! * dtypeSize(ds.dtype),
          calibration: ds.calibration ?? null,
          metadata: ds.metadata ?? null,
        });
      } finally {
        await ds.source.close?.();
      }
    }));
}
