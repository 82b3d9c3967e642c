// Every format stem4d reads, registered in one place.
import { registerFormat } from "./registry.js";
import { npyFormat } from "./npy.js";

registerFormat(npyFormat);

export * from "./registry.js";
import { mibFormat, mibHdrFormat } from "./mib/index.js";
import { blockfileFormat } from "./blockfile/index.js";
registerFormat(mibFormat);
registerFormat(mibHdrFormat);
registerFormat(blockfileFormat);
export { mibFormat, mibHdrFormat, type MibOptions } from "./mib/index.js";
export { blockfileFormat, readBlockfileNavigator, type BlockfileHeader } from "./blockfile/index.js";
import { empadXmlFormat, empadRawFormat } from "./empad/index.js";
registerFormat(empadXmlFormat);
registerFormat(empadRawFormat);
export { empadXmlFormat, empadRawFormat, parseEmpadXml } from "./empad/index.js";
import { containerFormat } from "./container.js";
registerFormat(containerFormat);
export { containerFormat } from "./container.js";
import { mrcFormat } from "./mrc/index.js";
import { tvipsFormat } from "./tvips/index.js";
registerFormat(mrcFormat);
registerFormat(tvipsFormat);
export { mrcFormat, type MrcOptions } from "./mrc/index.js";
export { tvipsFormat, type TvipsOptions } from "./tvips/index.js";
import { dmFormat } from "./dm/index.js";
registerFormat(dmFormat);
export { dmFormat, type DmOptions } from "./dm/index.js";
import { tiaFormat } from "./tia/index.js";
registerFormat(tiaFormat);
export { tiaFormat, type TiaOptions } from "./tia/index.js";
