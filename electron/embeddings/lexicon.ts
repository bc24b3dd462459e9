/**
 * Small built-in knowledge for the offline embedder: words that carry almost no topic
 * (down-weighted) and groups of words that mean nearly the same thing in everyday talk
 * about one's life (each group adds a shared "concept" feature). Written by hand for
 * English; other scripts fall back to words and character n-grams.
 */
export const STOPWORDS = new Set(
  `a an and are as at be been being but by can could did do does doing done for from had has have having he her hers him his how i i'm im if in into is it its it's just me my mine myself no not of on or our ours out over she so some such than that the their them then there these they this those to too up us very was we were what when where which who whom why will with would you your yours yourself also about again all am any because before both did each few more most other own same should only once here during after above below off under until while let lets tell know think really thing things much many get got`.split(/\s+/),
);

const GROUPS: string[][] = [
  ['sister', 'brother', 'sibling', 'siblings', 'sis', 'bro'],
  ['mother', 'mom', 'mum', 'mama', 'father', 'dad', 'papa', 'parent', 'parents'],
  ['wife', 'husband', 'partner', 'spouse', 'girlfriend', 'boyfriend', 'fiance', 'fiancee', 'married'],
  ['son', 'daughter', 'kid', 'kids', 'child', 'children', 'baby'],
  ['friend', 'friends', 'buddy', 'pal', 'mate'],
  ['job', 'work', 'works', 'working', 'career', 'employer', 'office', 'profession', 'employed', 'colleague', 'boss'],
  ['live', 'lives', 'living', 'home', 'house', 'apartment', 'flat', 'moved', 'neighborhood', 'reside'],
  ['city', 'town', 'country', 'village', 'place'],
  ['food', 'eat', 'eating', 'meal', 'dish', 'cook', 'cooking', 'recipe', 'dinner', 'lunch', 'breakfast', 'cuisine'],
  ['drink', 'coffee', 'tea', 'beer', 'wine'],
  ['vegetarian', 'vegan', 'meat', 'diet'],
  ['allergy', 'allergic', 'intolerant', 'intolerance'],
  ['sick', 'ill', 'illness', 'doctor', 'health', 'hospital', 'medicine', 'medication', 'pain', 'surgery'],
  ['sleep', 'sleeping', 'insomnia', 'tired', 'nap'],
  ['exercise', 'gym', 'workout', 'run', 'running', 'jog', 'jogging', 'fitness', 'training', 'marathon'],
  ['sport', 'sports', 'football', 'soccer', 'tennis', 'basketball', 'swimming', 'cycling', 'climbing'],
  ['hike', 'hiking', 'walk', 'walking', 'trail', 'mountains', 'outdoors'],
  ['music', 'song', 'songs', 'band', 'guitar', 'piano', 'violin', 'sing', 'singing', 'concert'],
  ['book', 'books', 'read', 'reading', 'novel', 'novels', 'author'],
  ['movie', 'movies', 'film', 'films', 'cinema', 'series', 'show', 'watch'],
  ['game', 'games', 'gaming', 'play', 'chess'],
  ['pet', 'pets', 'dog', 'dogs', 'cat', 'cats', 'puppy', 'kitten'],
  ['travel', 'trip', 'vacation', 'holiday', 'journey', 'visit', 'flight', 'fly'],
  ['birthday', 'born', 'anniversary', 'age', 'old'],
  ['name', 'called', 'named'],
  ['like', 'love', 'loves', 'enjoy', 'enjoys', 'favorite', 'favourite', 'prefer', 'prefers', 'fond', 'adore'],
  ['hate', 'hates', 'dislike', 'dislikes', 'detest', 'annoy', 'annoys', 'stand'],
  ['afraid', 'fear', 'scared', 'anxious', 'anxiety', 'nervous', 'worried', 'worry', 'phobia'],
  ['happy', 'glad', 'excited', 'joy', 'proud'],
  ['sad', 'upset', 'depressed', 'lonely', 'grief', 'miss'],
  ['study', 'studying', 'school', 'university', 'college', 'degree', 'class', 'course', 'exam', 'student', 'learn', 'learning'],
  ['money', 'salary', 'budget', 'save', 'saving', 'savings', 'debt', 'rent', 'pay', 'expensive'],
  ['car', 'drive', 'driving', 'bike', 'bicycle', 'bus', 'train', 'commute'],
  ['goal', 'goals', 'plan', 'plans', 'want', 'hope', 'dream', 'aim', 'intend'],
  ['language', 'languages', 'speak', 'speaks', 'spanish', 'french', 'german', 'english', 'japanese', 'italian'],
  ['garden', 'gardening', 'plants', 'flowers', 'grow', 'growing'],
  ['paint', 'painting', 'draw', 'drawing', 'art', 'artist', 'photography', 'photos'],
  ['meeting', 'appointment', 'deadline', 'schedule', 'calendar', 'tomorrow', 'week', 'weekend'],
  ['wedding', 'party', 'celebrate', 'celebration'],
  ['code', 'coding', 'programming', 'software', 'developer', 'engineer', 'computer'],
];

/** word → concept id (its group's first word). */
export const CONCEPTS: ReadonlyMap<string, string> = new Map(GROUPS.flatMap((g) => g.map((w) => [w, g[0]!] as const)));
