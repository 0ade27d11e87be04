/**
 * What `npm run bench` measures and records (bench/results.json): the contract between the measuring
 * (bench/directory.ts, bundles.ts, program.ts, lab-start.ts), the targets (bench/targets.ts) and the writing
 * (bench/report.ts, bench/record.ts).
 */

/** The setup a run measured with. */
export interface BenchOptions {
    /** The simulated S3 round trip, ms. */
    delayMs: number;
    /** How many times each measurement is taken (its median is kept). */
    runs: number;
}

export interface Machine {
    date: string;
    cpu: string;
    cpus: number;
    memoryGb: number;
    node: string;
    platform: string;
}

export interface Measure {
    medianMs: number;
    lists: number;
    gets: number;
    records: number;
}

export interface DirectoryCase {
    name: string;
    /** The simulated S3 round trip this case ran with. */
    delayMs: number;
    files: number;
    records: number;
    baseline: Measure;
    /** The floor (bench/floor.ts): list, then one parallel GET wave per listing page, merge. */
    floorCold: Measure;
    cold: Measure;
    floorWarm: Measure;
    warm: Measure;
    warmAfterChange: Measure;
    /** Ours ÷ floor, cold and warm (1 = the floor; lower is better). */
    coldVsFloor: number;
    warmVsFloor: number;
    coldSpeedup: number;
    warmSpeedup: number;
    /** The most memory the deployed bundle's process held (max RSS) over a cold invocation, as in Lambda. */
    peakRssMb: number;
    rawBytes: number;
    gzipBytes: number;
}

export interface BundleResult {
    fn: string;
    bundleKb: number;
    /** Time to start node and require the code, less the time to start node alone (measured in the same run). */
    bundledLoadMs: number;
    unbundledLoadMs: number;
    loadSpeedup: number;
    nodeStartMs: number;
}

export interface ProgramResult {
    stack: string;
    medianMs: number;
    resources: number;
}

export interface LabStartResult {
    labs: string;
    runs: number;
    /** Spawn to banner, median, ms. */
    medianMs: number;
    maxMs: number;
    /** The lab's own "ready in" figure (Node's process start to ready), median, ms. */
    reportedMs: number;
}

/** Everything one run measured. */
export interface Measurements {
    machine: Machine;
    options: BenchOptions;
    /** The seed data, 50 files × 100 and 1,500 files × 1, at the run's round trip. */
    directory: DirectoryCase[];
    /** 50 files × 100 at 0 ms, the run's round trip and 100 ms. */
    sweep: DirectoryCase[];
    bundles: BundleResult[];
    program: ProgramResult[];
    /** Absent from results recorded before it was measured. */
    labStart?: LabStartResult;
}

/** A target and how this run fared against it. */
export interface Target {
    target: string;
    measured: string;
    pass: boolean;
}

export type BenchResults = Measurements & { targets: Target[] };
