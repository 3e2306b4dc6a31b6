// The shared attention tile loop (shaders/lib/attention-tile.wgsl) and how a head is split over lanes.
import attentionTileWgsl from '../../shaders/lib/attention-tile.wgsl?raw';

export const ATTENTION_TILE_WGSL = attentionTileWgsl;

/** Most vec4 columns one lane holds (ATT_MAXV in the shader). */
export const MAX_VEC4_PER_LANE = 8;

export interface LaneSplit {
  /** Lanes per query vector. */
  readonly lanes: number;
  /** vec4 columns per lane: headDim = 4 · lanes · vec4PerLane. */
  readonly vec4PerLane: number;
}

/**
 * Splits a head of `headDim` floats over lanes: the fewest lanes >= minLanes that divide headDim/4 and hold at
 * most MAX_VEC4_PER_LANE vec4s each (or the most lanes there can be when minLanes cannot be reached).
 */
export function laneSplit(headDim: number, minLanes: number): LaneSplit {
  if (!Number.isInteger(headDim) || headDim <= 0 || headDim % 4 !== 0) {
    throw new Error(`attention: headDim ${headDim} must be a positive multiple of 4`);
  }
  const d4 = headDim / 4;
  let best = 0;
  for (let lanes = 1; lanes <= d4; lanes++) {
    if (d4 % lanes !== 0 || d4 / lanes > MAX_VEC4_PER_LANE) continue;
    best = lanes;
    if (lanes >= minLanes) break;
  }
  if (best === 0) throw new Error(`attention: headDim ${headDim} cannot be split into lanes of <= ${4 * MAX_VEC4_PER_LANE} floats`);
  return { lanes: best, vec4PerLane: d4 / best };
}
