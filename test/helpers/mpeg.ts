/** Reads MPEG audio frame headers: proof that bytes are MP3 audio, and how long they play. */

const BITRATES_KBPS: Record<string, number[]> = {
    // MPEG-1 Layer III, and MPEG-2/2.5 Layer III
    "1": [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    "2": [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

export interface MpegAudio {
    frames: number;
    sampleRate: number;
    seconds: number;
}

/**
 * Walks the Layer III frames from the first byte (after an optional ID3v2 tag) to the end; throws naming the
 * offset where the bytes stop being MPEG audio frames.
 */
export function mpegAudio(bytes: Uint8Array): MpegAudio {
    let offset = 0;
    if (bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) {
        offset = 10 + ((bytes[6] << 21) | (bytes[7] << 14) | (bytes[8] << 7) | bytes[9]);
    }
    let frames = 0;
    let sampleRate = 0;
    let samples = 0;
    while (offset + 4 <= bytes.length) {
        const [b0, b1, b2] = [bytes[offset], bytes[offset + 1], bytes[offset + 2]];
        if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) throw new Error(`no MPEG frame sync at byte ${offset}`);
        const version = (b1 >> 3) & 3;
        const layer = (b1 >> 1) & 3;
        if (layer !== 1 || version === 1) throw new Error(`not MPEG Layer III at byte ${offset}`);
        const kbps = BITRATES_KBPS[version === 3 ? "1" : "2"][b2 >> 4];
        const rate = SAMPLE_RATES[version][(b2 >> 2) & 3];
        if (!kbps || !rate) throw new Error(`bad bit rate or sample rate at byte ${offset}`);
        const perFrame = version === 3 ? 1152 : 576;
        const length = Math.floor(((perFrame / 8) * kbps * 1000) / rate) + ((b2 >> 1) & 1);
        frames++;
        sampleRate = rate;
        samples += perFrame;
        offset += length;
    }
    if (frames === 0) throw new Error("no MPEG audio frames");
    return { frames, sampleRate, seconds: samples / sampleRate };
}
