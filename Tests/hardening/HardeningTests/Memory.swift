import I2OABI
import I2ODevice
import I2OFormats
import IoctlEngine

