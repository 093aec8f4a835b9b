/**
 * Fixed word lists of the sample generator. Every string here is emitted into JSON as is (no
 * escaping), so none may contain `"`, `\` or control characters (generate.spec.ts checks it).
 */

export const FIRST_NAMES = [
  'James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth',
  'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen',
  'Christopher', 'Nancy', 'Daniel', 'Lisa', 'Matthew', 'Betty', 'Anthony', 'Margaret', 'Mark', 'Sandra',
  'Donald', 'Ashley', 'Steven', 'Kimberly', 'Paul', 'Emily', 'Andrew', 'Donna', 'Joshua', 'Michelle',
  'Kenneth', 'Carol', 'Kevin', 'Amanda', 'Brian', 'Melissa', 'George', 'Deborah', 'Timothy', 'Stephanie',
  'Ronald', 'Rebecca', 'Jason', 'Laura', 'Edward', 'Sharon', 'Jeffrey', 'Cynthia', 'Ryan', 'Kathleen',
  'Jacob', 'Amy', 'Gary', 'Angela', 'Nicholas', 'Shirley', 'Eric', 'Anna', 'Jonathan', 'Brenda',
  'Oliver', 'Olivia', 'Harry', 'Amelia', 'Jack', 'Isla', 'Noah', 'Ava', 'Liam', 'Mia',
  'Lukas', 'Hannah', 'Maximilian', 'Lea', 'Felix', 'Sophie', 'Jonas', 'Marie', 'Paul', 'Lena',
  'Louis', 'Camille', 'Hugo', 'Chloé', 'Gabriel', 'Léa', 'Raphaël', 'Manon', 'Jules', 'Zoë',
  'Mohammed', 'Fatima', 'Wei', 'Mei', 'Hiroshi', 'Yuki', 'Carlos', 'María', 'José', 'Sofía',
];

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  'Evans', 'Edwards', 'Collins', 'Stewart', 'Morris', 'Murphy', 'Cook', 'Rogers', 'Morgan', 'Cooper',
  'Patel', 'Khan', 'Singh', 'Chen', 'Wang', 'Kim', 'Tanaka', 'Sato', 'Silva', 'Santos',
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann',
  'Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau',
  'Lefèvre', 'Girard', 'François', 'Mercier', 'Brennan', "O'Neill", 'MacDonald', 'Fraser', 'Quinn', 'Byrne',
];

/** The ASCII, lower-case form of a name for e-mail addresses: "Lefèvre" → "lefevre", "O'Neill" → "oneill". */
export function emailSlug(name: string): string {
  return name
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

export interface City {
  city: string;
  stateProvince: string;
  /** Postal code prefix; the generator appends the rest in the country's format. */
  postal: string;
}

export interface Country {
  code: 'US' | 'CA' | 'GB' | 'DE' | 'FR';
  weight: number;
  currency: string;
  cities: City[];
  streets: string[];
}

const c = (city: string, stateProvince: string, postal: string): City => ({ city, stateProvince, postal });

export const COUNTRIES: Country[] = [
  {
    code: 'US',
    weight: 50,
    currency: 'USD',
    cities: [
      c('New York', 'NY', '100'), c('Los Angeles', 'CA', '900'), c('Chicago', 'IL', '606'), c('Houston', 'TX', '770'),
      c('Phoenix', 'AZ', '850'), c('Philadelphia', 'PA', '191'), c('San Antonio', 'TX', '782'), c('San Diego', 'CA', '921'),
      c('Dallas', 'TX', '752'), c('Austin', 'TX', '787'), c('Seattle', 'WA', '981'), c('Denver', 'CO', '802'),
      c('Boston', 'MA', '021'), c('Portland', 'OR', '972'), c('Atlanta', 'GA', '303'), c('Miami', 'FL', '331'),
      c('Minneapolis', 'MN', '554'), c('San Francisco', 'CA', '941'), c('Nashville', 'TN', '372'), c('Orlando', 'FL', '328'),
    ],
    streets: ['Main St', 'Oak Ave', 'Maple Ave', 'Cedar St', 'Pine St', 'Elm St', 'Washington Blvd', 'Lake Dr',
      'Hillside Rd', 'Park Ave', 'Sunset Blvd', 'River Rd', 'Church St', 'Highland Ave', 'Lincoln Way', 'Broadway'],
  },
  {
    code: 'CA',
    weight: 12,
    currency: 'CAD',
    cities: [
      c('Toronto', 'ON', 'M5V'), c('Montréal', 'QC', 'H2X'), c('Vancouver', 'BC', 'V6B'), c('Calgary', 'AB', 'T2P'),
      c('Ottawa', 'ON', 'K1P'), c('Edmonton', 'AB', 'T5J'), c('Québec', 'QC', 'G1R'), c('Winnipeg', 'MB', 'R3C'),
      c('Halifax', 'NS', 'B3H'), c('Victoria', 'BC', 'V8W'),
    ],
    streets: ['Yonge St', 'King St W', 'Queen St E', 'Rue Sainte-Catherine', 'Granville St', 'Jasper Ave',
      'Portage Ave', 'Bank St', 'Robson St', 'Barrington St'],
  },
  {
    code: 'GB',
    weight: 15,
    currency: 'GBP',
    cities: [
      c('London', 'ENG', 'SW1A'), c('London', 'ENG', 'EC1V'), c('Manchester', 'ENG', 'M1'), c('Birmingham', 'ENG', 'B1'),
      c('Leeds', 'ENG', 'LS1'), c('Glasgow', 'SCT', 'G1'), c('Edinburgh', 'SCT', 'EH1'), c('Bristol', 'ENG', 'BS1'),
      c('Liverpool', 'ENG', 'L1'), c('Cardiff', 'WLS', 'CF10'), c('Belfast', 'NIR', 'BT1'),
    ],
    streets: ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Green Lane', 'Manor Road',
      'Park Road', 'Queens Road', 'Mill Lane', 'Kings Road'],
  },
  {
    code: 'DE',
    weight: 13,
    currency: 'EUR',
    cities: [
      c('Berlin', 'BE', '10'), c('München', 'BY', '80'), c('Hamburg', 'HH', '20'), c('Köln', 'NW', '50'),
      c('Frankfurt am Main', 'HE', '60'), c('Stuttgart', 'BW', '70'), c('Düsseldorf', 'NW', '40'), c('Leipzig', 'SN', '04'),
      c('Dresden', 'SN', '01'), c('Nürnberg', 'BY', '90'),
    ],
    streets: ['Hauptstraße', 'Bahnhofstraße', 'Schillerstraße', 'Goethestraße', 'Gartenstraße', 'Lindenallee',
      'Berliner Straße', 'Kirchweg', 'Schulstraße', 'Am Markt'],
  },
  {
    code: 'FR',
    weight: 10,
    currency: 'EUR',
    cities: [
      c('Paris', 'IDF', '750'), c('Marseille', 'PAC', '130'), c('Lyon', 'ARA', '690'), c('Toulouse', 'OCC', '310'),
      c('Nice', 'PAC', '060'), c('Nantes', 'PDL', '440'), c('Bordeaux', 'NAQ', '330'), c('Lille', 'HDF', '590'),
      c('Strasbourg', 'GES', '670'), c('Rennes', 'BRE', '350'),
    ],
    streets: ['rue de la Paix', 'rue Victor Hugo', 'avenue Jean Jaurès', 'rue de la République', 'boulevard Pasteur',
      'rue du Général Leclerc', 'place de la Mairie', 'rue des Écoles', 'avenue Foch', 'rue Nationale'],
  },
];

export const LOYALTY_TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;
export const LOYALTY_TIER_WEIGHTS = [50, 30, 15, 5];
/** Points range per tier, same order as LOYALTY_TIERS. */
export const LOYALTY_POINTS: [number, number][] = [
  [0, 2000],
  [1500, 8000],
  [6000, 20000],
  [18000, 60000],
];

export const INTERESTS = [
  'running', 'cooking', 'travel', 'photography', 'gaming', 'yoga', 'cycling', 'gardening', 'music',
  'reading', 'fashion', 'hiking', 'football', 'tennis', 'technology', 'movies', 'wine', 'fitness',
];

export interface Product {
  sku: string;
  name: string;
  category: string;
  /** Unit price in cents. */
  price: number;
}

const p = (sku: string, name: string, category: string, price: number): Product => ({ sku, name, category, price });

export const PRODUCTS: Product[] = [
  p('SKU-10001', 'Trail Running Shoes', 'running', 12999), p('SKU-10002', 'Road Running Shoes', 'running', 10999),
  p('SKU-10003', 'Running Socks (3 pack)', 'running', 1499), p('SKU-10004', 'GPS Running Watch', 'running', 24999),
  p('SKU-20001', 'Cast Iron Skillet', 'kitchen', 3999), p('SKU-20002', 'Chef Knife 8in', 'kitchen', 7999),
  p('SKU-20003', 'Espresso Machine', 'kitchen', 34999), p('SKU-20004', 'Bamboo Cutting Board', 'kitchen', 2499),
  p('SKU-30001', 'Yoga Mat', 'fitness', 3499), p('SKU-30002', 'Adjustable Dumbbells', 'fitness', 19999),
  p('SKU-30003', 'Resistance Bands', 'fitness', 1999), p('SKU-30004', 'Foam Roller', 'fitness', 2999),
  p('SKU-40001', 'Hiking Backpack 30L', 'outdoor', 8999), p('SKU-40002', 'Waterproof Jacket', 'outdoor', 14999),
  p('SKU-40003', 'Camping Stove', 'outdoor', 5999), p('SKU-40004', 'Trekking Poles', 'outdoor', 6999),
  p('SKU-50001', 'Wireless Headphones', 'electronics', 19999), p('SKU-50002', 'Bluetooth Speaker', 'electronics', 7999),
  p('SKU-50003', 'Action Camera', 'electronics', 29999), p('SKU-50004', 'E-Reader', 'electronics', 12999),
  p('SKU-60001', 'Linen Shirt', 'apparel', 4999), p('SKU-60002', 'Wool Sweater', 'apparel', 8999),
  p('SKU-60003', 'Denim Jacket', 'apparel', 9999), p('SKU-60004', 'Canvas Sneakers', 'apparel', 5999),
];

export const CATEGORIES = ['running', 'kitchen', 'fitness', 'outdoor', 'electronics', 'apparel'];

export interface Page {
  path: string;
  name: string;
}

export const CONTENT_PAGES: Page[] = [
  { path: '/', name: 'Home' },
  { path: '/search', name: 'Search results' },
  { path: '/cart', name: 'Cart' },
  { path: '/account', name: 'My account' },
  { path: '/stores', name: 'Store locator' },
  { path: '/help', name: 'Help center' },
  { path: '/blog/how-to-choose-running-shoes', name: 'How to choose running shoes' },
  { path: '/blog/10-one-pan-dinners', name: '10 one-pan dinners' },
  { path: '/blog/beginner-yoga-routine', name: 'A beginner yoga routine' },
  { path: '/blog/packing-list-for-a-weekend-hike', name: 'Packing list for a weekend hike' },
  ...CATEGORIES.map((cat) => ({ path: `/category/${cat}`, name: `Category: ${cat}` })),
];

/** Experience event kinds, indexes into EVENT_TYPES (their `eventType`). */
export const EventKind = { PageView: 0, ProductView: 1, ProductListAdd: 2, Purchase: 3, LinkClick: 4 } as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];
export const EVENT_TYPES = [
  'web.webpagedetails.pageViews',
  'commerce.productViews',
  'commerce.productListAdds',
  'commerce.purchases',
  'web.webinteraction.linkClicks',
] as const;

export const LINKS = ['Newsletter signup', 'Store finder', 'Size guide', 'Free shipping banner', 'Footer: contact us', 'Social: Instagram'];

export const SITE = 'https://www.example.com';
