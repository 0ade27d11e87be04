/**
 * Placeholder employees, randomuser.me-shaped records plus `department` and `title`: the lab's seed data
 * (`npm run generate:users` writes data/users_*.json from it) and the benchmark's synthetic files. Seeded and
 * deterministic: the same seed yields byte-identical records. No network, no passwords, hashes or salts (not even
 * fake ones), no external pictures.
 */

/** The seed data/users_*.json were generated with. */
export const USERS_SEED = 20201201;
/** Ages are computed against this date so the output never changes with the clock. */
const REFERENCE_DATE = Date.UTC(2026, 0, 1);

/** mulberry32: a tiny, well-known seeded PRNG. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const FEMALE = [
    "Emma",
    "Olivia",
    "Ava",
    "Sophia",
    "Mia",
    "Amelia",
    "Harper",
    "Evelyn",
    "Abigail",
    "Emily",
    "Ella",
    "Chloé",
    "Léa",
    "Hannah",
    "Lena",
    "Sofia",
    "Aisha",
    "Priya",
    "Ananya",
    "Mariana",
    "Beatriz",
    "Yuki",
    "Ingrid",
    "Freja",
    "Nora",
    "Zoe",
    "Isla",
    "Grace",
    "Lucía",
    "Camila",
];
const MALE = [
    "Liam",
    "Noah",
    "Oliver",
    "Elijah",
    "James",
    "William",
    "Benjamin",
    "Lucas",
    "Henry",
    "Theodore",
    "Jack",
    "Hugo",
    "Louis",
    "Jonas",
    "Felix",
    "Leon",
    "Arjun",
    "Rohan",
    "Mateus",
    "Gabriel",
    "Kenji",
    "Lars",
    "Magnus",
    "Oscar",
    "Finn",
    "Mateo",
    "Diego",
    "Omar",
    "Samuel",
    "Ethan",
];
const LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Martin",
    "Bernard",
    "Dubois",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Sharma",
    "Patel",
    "Singh",
    "Silva",
    "Santos",
    "Oliveira",
    "Tanaka",
    "Sato",
    "Hansen",
    "Nielsen",
    "Johansson",
    "Wilson",
    "Taylor",
    "Anderson",
    "Thomas",
    "Moore",
    "Jackson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "King",
];
const STREETS = [
    "Main Street",
    "Oak Avenue",
    "Maple Drive",
    "Cedar Lane",
    "Park Road",
    "High Street",
    "Station Road",
    "Church Street",
    "Mill Lane",
    "Lake View",
];
const COUNTRIES = [
    {
        country: "United States",
        nat: "US",
        phone: "+1",
        states: {
            California: ["San Francisco", "Los Angeles", "San Diego"],
            Washington: ["Seattle", "Spokane"],
            Texas: ["Austin", "Dallas", "Houston"],
            "New York": ["New York", "Buffalo"],
        },
    },
    {
        country: "Canada",
        nat: "CA",
        phone: "+1",
        states: { Ontario: ["Toronto", "Ottawa"], Quebec: ["Montréal", "Québec"], "British Columbia": ["Vancouver", "Victoria"] },
    },
    {
        country: "United Kingdom",
        nat: "GB",
        phone: "+44",
        states: { England: ["London", "Manchester", "Bristol"], Scotland: ["Edinburgh", "Glasgow"], Wales: ["Cardiff"] },
    },
    { country: "Germany", nat: "DE", phone: "+49", states: { Bayern: ["München", "Nürnberg"], Berlin: ["Berlin"], Hamburg: ["Hamburg"] } },
    {
        country: "France",
        nat: "FR",
        phone: "+33",
        states: { "Île-de-France": ["Paris", "Versailles"], "Auvergne-Rhône-Alpes": ["Lyon", "Grenoble"] },
    },
    {
        country: "Brazil",
        nat: "BR",
        phone: "+55",
        states: { "São Paulo": ["São Paulo", "Campinas"], "Rio de Janeiro": ["Rio de Janeiro", "Niterói"] },
    },
    { country: "India", nat: "IN", phone: "+91", states: { Karnataka: ["Bengaluru", "Mysuru"], Maharashtra: ["Mumbai", "Pune"] } },
    {
        country: "Australia",
        nat: "AU",
        phone: "+61",
        states: { "New South Wales": ["Sydney", "Newcastle"], Victoria: ["Melbourne", "Geelong"] },
    },
    { country: "Japan", nat: "JP", phone: "+81", states: { Tokyo: ["Tokyo"], Osaka: ["Osaka"] } },
    { country: "Sweden", nat: "SE", phone: "+46", states: { Stockholm: ["Stockholm"], "Västra Götaland": ["Göteborg"] } },
] as const;
const DEPARTMENTS: Record<string, string[]> = {
    Engineering: ["Software Engineer", "Senior Software Engineer", "Engineering Manager", "Site Reliability Engineer"],
    Sales: ["Account Executive", "Sales Manager", "Sales Development Representative"],
    Marketing: ["Marketing Specialist", "Content Strategist", "Marketing Manager"],
    Finance: ["Financial Analyst", "Accountant", "Controller"],
    "Human Resources": ["HR Generalist", "Recruiter", "People Partner"],
    Support: ["Support Engineer", "Customer Success Manager"],
    Operations: ["Operations Analyst", "Program Manager"],
    Legal: ["Counsel", "Paralegal"],
};

const ascii = (s: string) =>
    s
        .normalize("NFD")
        .replace(/[\u0300-\u036f]/g, "")
        .replace(/[^A-Za-z]/g, "")
        .toLowerCase();

/** A placeholder employee. */
export type PlaceholderUser = ReturnType<ReturnType<typeof userGenerator>>;

/**
 * A generator of placeholder employees: each call draws the next record from one seeded sequence, so the n-th
 * call yields the same record for the same seed. `index` numbers the record (e-mail, username, employee id).
 */
export function userGenerator(seed = USERS_SEED) {
    const random = prng(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
    const digits = (n: number): string => Array.from({ length: n }, () => int(0, 9)).join("");

    function uuid(): string {
        const h = Array.from({ length: 32 }, () => int(0, 15).toString(16)).join("");
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[int(0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    }

    function dateYearsAgo(minYears: number, maxYears: number): { date: string; age: number } {
        const ms = REFERENCE_DATE - (minYears + random() * (maxYears - minYears)) * 365.25 * 24 * 3600 * 1000;
        const date = new Date(Math.floor(ms / 1000) * 1000);
        return { date: date.toISOString(), age: Math.floor((REFERENCE_DATE - date.getTime()) / (365.25 * 24 * 3600 * 1000)) };
    }

    function user(index: number) {
        const gender = random() < 0.5 ? "female" : "male";
        const first = pick(gender === "female" ? FEMALE : MALE);
        const last = pick(LAST);
        const place = pick(COUNTRIES);
        const states = place.states as Record<string, readonly string[]>;
        const state = pick(Object.keys(states));
        const department = pick(Object.keys(DEPARTMENTS));
        return {
            gender,
            name: { title: gender === "female" ? pick(["Ms", "Mrs", "Miss", "Dr"]) : pick(["Mr", "Dr"]), first, last },
            location: {
                street: { number: int(1, 9999), name: pick(STREETS) },
                city: pick(states[state]),
                state,
                country: place.country,
                postcode: digits(5),
                coordinates: { latitude: (random() * 180 - 90).toFixed(4), longitude: (random() * 360 - 180).toFixed(4) },
                timezone: { offset: "+0:00", description: "Placeholder" },
            },
            email: `${ascii(first)}.${ascii(last)}${index}@example.com`,
            login: { uuid: uuid(), username: `${ascii(first)}${ascii(last)}${index}` },
            dob: dateYearsAgo(21, 66),
            registered: dateYearsAgo(0.5, 15),
            phone: `${place.phone} ${digits(3)} ${digits(3)} ${digits(4)}`,
            cell: `${place.phone} ${digits(3)} ${digits(3)} ${digits(4)}`,
            id: { name: "EMP", value: `E${String(index).padStart(5, "0")}` },
            nat: place.nat,
            department,
            title: pick(DEPARTMENTS[department]),
        };
    }

    return user;
}

/** `count` placeholder employees numbered from 1, in files of `perFile` (the last may be shorter). */
export function placeholderUserFiles(count: number, perFile: number, seed = USERS_SEED): PlaceholderUser[][] {
    const next = userGenerator(seed);
    return Array.from({ length: Math.ceil(count / perFile) }, (_, file) =>
        Array.from({ length: Math.min(perFile, count - file * perFile) }, (_, i) => next(file * perFile + i + 1)),
    );
}
