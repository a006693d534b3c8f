// Metros where data centres for AI accelerators stand, with city-centre coordinates (public
// gazetteer facts, rounded to 4 decimals). The demo world, the synthetic benchmarks and the
// landmark planner start from this list.

export interface DatacentreCity {
  readonly name: string;
  /** ISO 3166-1 alpha-2 of the country (or HK, MO, TW) the city is in. */
  readonly country: string;
  readonly lat: number;
  readonly lon: number;
}

const city = (name: string, country: string, lat: number, lon: number): DatacentreCity =>
  Object.freeze({ name, country, lat, lon });

export const DATACENTRE_CITIES: readonly DatacentreCity[] = Object.freeze([
  city('Singapore', 'SG', 1.3521, 103.8198),
  city('Kuala Lumpur', 'MY', 3.139, 101.6869),
  city('Cyberjaya', 'MY', 2.9213, 101.6559),
  city('Johor Bahru', 'MY', 1.4927, 103.7414),
  city('Jakarta', 'ID', -6.2088, 106.8456),
  city('Batam', 'ID', 1.0456, 104.0305),
  city('Bangkok', 'TH', 13.7563, 100.5018),
  city('Hong Kong', 'HK', 22.3193, 114.1694),
  city('Macao', 'MO', 22.1987, 113.5439),
  city('Shenzhen', 'CN', 22.5431, 114.0579),
  city('Guangzhou', 'CN', 23.1291, 113.2644),
  city('Shanghai', 'CN', 31.2304, 121.4737),
  city('Hangzhou', 'CN', 30.2741, 120.1551),
  city('Beijing', 'CN', 39.9042, 116.4074),
  city('Ulanqab', 'CN', 41.0345, 113.133),
  city('Chengdu', 'CN', 30.5728, 104.0668),
  city('Guiyang', 'CN', 26.647, 106.6302),
  city('Tokyo', 'JP', 35.6762, 139.6503),
  city('Osaka', 'JP', 34.6937, 135.5023),
  city('Seoul', 'KR', 37.5665, 126.978),
  city('Taipei', 'TW', 25.033, 121.5654),
  city('Manila', 'PH', 14.5995, 120.9842),
  city('Hanoi', 'VN', 21.0278, 105.8342),
  city('Ho Chi Minh City', 'VN', 10.8231, 106.6297),
  city('Mumbai', 'IN', 19.076, 72.8777),
  city('Chennai', 'IN', 13.0827, 80.2707),
  city('Hyderabad', 'IN', 17.385, 78.4867),
  city('Dubai', 'AE', 25.2048, 55.2708),
  city('Abu Dhabi', 'AE', 24.4539, 54.3773),
  city('Riyadh', 'SA', 24.7136, 46.6753),
  city('Dammam', 'SA', 26.4207, 50.0888),
  city('Doha', 'QA', 25.2854, 51.531),
  city('Manama', 'BH', 26.2285, 50.586),
  city('Tel Aviv', 'IL', 32.0853, 34.7818),
  city('Istanbul', 'TR', 41.0082, 28.9784),
  city('Frankfurt', 'DE', 50.1109, 8.6821),
  city('Berlin', 'DE', 52.52, 13.405),
  city('Amsterdam', 'NL', 52.3676, 4.9041),
  city('London', 'GB', 51.5074, -0.1278),
  city('Paris', 'FR', 48.8566, 2.3522),
  city('Dublin', 'IE', 53.3498, -6.2603),
  city('Stockholm', 'SE', 59.3293, 18.0686),
  city('Helsinki', 'FI', 60.1699, 24.9384),
  city('Warsaw', 'PL', 52.2297, 21.0122),
  city('Madrid', 'ES', 40.4168, -3.7038),
  city('Milan', 'IT', 45.4642, 9.19),
  city('Zurich', 'CH', 47.3769, 8.5417),
  city('Luxembourg', 'LU', 49.6116, 6.1319),
  city('Moscow', 'RU', 55.7558, 37.6173),
  city('Ashburn', 'US', 39.0438, -77.4874),
  city('New York', 'US', 40.7128, -74.006),
  city('Chicago', 'US', 41.8781, -87.6298),
  city('Dallas', 'US', 32.7767, -96.797),
  city('San Jose', 'US', 37.3382, -121.8863),
  city('Seattle', 'US', 47.6062, -122.3321),
  city('Los Angeles', 'US', 34.0522, -118.2437),
  city('Atlanta', 'US', 33.749, -84.388),
  city('Toronto', 'CA', 43.6532, -79.3832),
  city('Montreal', 'CA', 45.5017, -73.5673),
  city('Mexico City', 'MX', 19.4326, -99.1332),
  city('São Paulo', 'BR', -23.5505, -46.6333),
  city('Santiago', 'CL', -33.4489, -70.6693),
  city('Bogotá', 'CO', 4.711, -74.0721),
  city('Johannesburg', 'ZA', -26.2041, 28.0473),
  city('Lagos', 'NG', 6.5244, 3.3792),
  city('Nairobi', 'KE', -1.2921, 36.8219),
  city('Cairo', 'EG', 30.0444, 31.2357),
  city('Sydney', 'AU', -33.8688, 151.2093),
  city('Melbourne', 'AU', -37.8136, 144.9631),
  city('Auckland', 'NZ', -36.8485, 174.7633),
]);
